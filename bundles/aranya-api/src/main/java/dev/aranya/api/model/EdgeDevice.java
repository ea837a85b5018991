package dev.aranya.api.model;

import dev.aranya.api.Aranya;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One physical device. Aranya turns it into a Node of the same name, with a virtual pod whose
 * {@code kubectl exec/attach/logs/port-forward} run on the device host.
 */
@Group(Aranya.GROUP)
@Version(Aranya.VERSION)
@Kind("EdgeDevice")
@Plural("edgedevices")
@Singular("edgedevice")
@ShortNames({"ed", "eds"})
public class EdgeDevice extends CustomResource<EdgeDeviceSpec, EdgeDeviceStatus> implements Namespaced {
    /** Class path resource (in this bundle) holding the CustomResourceDefinition, {@code apiextensions.k8s.io/v1}. */
    public static final String CRD_RESOURCE = "/META-INF/aranya/edgedevices.aranya.arhat.dev.yaml";
    /** Name of the CustomResourceDefinition. */
    public static final String CRD_NAME = "edgedevices." + Aranya.GROUP;

    private static final long serialVersionUID = 1L;
}
