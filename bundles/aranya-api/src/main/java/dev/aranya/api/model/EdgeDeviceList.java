package dev.aranya.api.model;

import io.fabric8.kubernetes.api.model.DefaultKubernetesResourceList;

/** A list of {@link EdgeDevice}s, as the apiserver returns it. */
public class EdgeDeviceList extends DefaultKubernetesResourceList<EdgeDevice> {
    private static final long serialVersionUID = 1L;
}
