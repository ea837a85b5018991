package dev.aranya.api.kubelet;

import dev.aranya.api.transport.DeviceId;
import java.io.IOException;
import java.util.Collection;
import org.osgi.annotation.versioning.ProviderType;

/** Serves the kubelet API (exec, attach, logs, port-forward, stats) of devices' Nodes, one HTTPS port per device. */
@ProviderType
public interface KubeletEndpoints {
    /**
     * Starts serving the node's kubelet API, or keeps serving it if it is already served as described. Serving a
     * device on another port than before moves it.
     *
     * @throws IOException if the port cannot be bound (the message names the port and the cause)
     */
    void serve(KubeletNode node) throws IOException;

    /** Stops serving the device's node and ends its open streams. Does nothing for a device not served. */
    void stop(DeviceId device);

    /** The devices served now. */
    Collection<KubeletNode> served();

    /**
     * One device's kubelet endpoint.
     *
     * @param device    the EdgeDevice
     * @param nodeName  its Node, whose serving certificate the endpoint presents
     * @param podName   its virtual pod, in the device's namespace: the only pod the endpoint knows
     * @param port      the TCP port on the Aranya host, the Node's {@code daemonEndpoints.kubeletEndpoint.Port}
     */
    record KubeletNode(DeviceId device, String nodeName, String podName, int port) {
        public KubeletNode {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("kubelet port out of range: " + port);
            }
        }
    }
}
