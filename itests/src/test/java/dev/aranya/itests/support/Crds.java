package dev.aranya.itests.support;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;

/** Custom resource definitions as the apiserver reports them. */
public final class Crds {
    private Crds() {
    }

    /**
     * Whether the apiserver serves the definition's resources: its {@code Established} condition is True. Right
     * after it is created a definition has a status without conditions.
     */
    public static boolean established(CustomResourceDefinition definition) {
        return definition != null && definition.getStatus() != null && definition.getStatus().getConditions() != null
                && definition.getStatus().getConditions().stream()
                .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
