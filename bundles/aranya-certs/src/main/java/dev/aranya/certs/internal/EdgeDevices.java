package dev.aranya.certs.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.transport.DeviceId;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The EdgeDevice behind a device's certificates: its subject fields, and the owner of its Secrets. */
final class EdgeDevices {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeDevices.class);

    private EdgeDevices() {
    }

    /** @return the EdgeDevice, or null when there is none or it cannot be read (logged) */
    static EdgeDevice read(KubernetesClient client, DeviceId device) {
        try {
            return client.resources(EdgeDevice.class).inNamespace(device.namespace()).withName(device.name()).get();
        } catch (KubernetesClientException e) {
            LOG.warn("Reading EdgeDevice {} failed ({}); its certificates get no subject fields or owner from it", device,
                    ClusterSigner.message(e));
            return null;
        }
    }

    /** The Secrets of a device belong to its EdgeDevice, so that deleting the device deletes its keys too. */
    static OwnerReference owner(EdgeDevice device) {
        if (device == null || device.getMetadata().getUid() == null) {
            return null;
        }
        return new OwnerReferenceBuilder().withApiVersion(Aranya.GROUP + "/" + Aranya.VERSION).withKind("EdgeDevice")
                .withName(device.getMetadata().getName()).withUid(device.getMetadata().getUid()).build();
    }
}
