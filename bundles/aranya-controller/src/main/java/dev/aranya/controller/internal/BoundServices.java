package dev.aranya.controller.internal;

import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.kubelet.KubeletEndpoints;
import dev.aranya.api.transport.DeviceTransport;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The optional services the controller uses as they come and go (bundles stop, restart, get updated): transports by
 * connectivity method, the kubelet endpoints and the node certificates.
 */
final class BoundServices {
    private final Map<String, DeviceTransport> transports = new ConcurrentHashMap<>();
    private volatile KubeletEndpoints kubelet;
    private volatile NodeCertificates certificates;

    Optional<DeviceTransport> transport(String method) {
        return method == null ? Optional.empty() : Optional.ofNullable(transports.get(method));
    }

    void bindTransport(String method, DeviceTransport transport) {
        transports.put(method, transport);
    }

    boolean bound(DeviceTransport transport) {
        return transports.containsValue(transport);
    }

    /** @return whether it was the transport serving its method */
    boolean unbindTransport(String method, DeviceTransport transport) {
        return transports.remove(method, transport);
    }

    Optional<KubeletEndpoints> kubelet() {
        return Optional.ofNullable(kubelet);
    }

    void kubelet(KubeletEndpoints kubelet) {
        this.kubelet = kubelet;
    }

    Optional<NodeCertificates> certificates() {
        return Optional.ofNullable(certificates);
    }

    void certificates(NodeCertificates certificates) {
        this.certificates = certificates;
    }
}
