package dev.aranya.itests.support;

import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One Aranya distribution configured for all three transports, as an operator runs it: raw TCP and gRPC on free
 * loopback ports with mutual TLS from a {@link DevicePki}, MQTT through the given broker. Not started; the test may
 * move bundles around first. {@link #linkSettings} gives an agent's link settings for each method.
 */
public final class AranyaTransports {
    public static final List<String> METHODS = List.of("tcp", "grpc", "mqtt");

    private final DistributionProcess aranya;
    private final DevicePki pki;
    private final MosquittoBroker broker;
    private final int tcpPort;
    private final int grpcPort;

    private AranyaTransports(DistributionProcess aranya, DevicePki pki, MosquittoBroker broker, int tcpPort,
            int grpcPort) {
        this.aranya = aranya;
        this.pki = pki;
        this.broker = broker;
        this.tcpPort = tcpPort;
        this.grpcPort = grpcPort;
    }

    /**
     * @param suffix     the copy's folder is {@code work/aranya-<suffix>}
     * @param controller {@code dev.aranya.controller} settings (give each test class its own kubelet port range)
     */
    public static AranyaTransports configure(ControlPlane controlPlane, TestNamespace namespace, Path work,
            String suffix, MosquittoBroker broker, Map<String, ?> controller) throws IOException, InterruptedException {
        int tcpPort = freePort();
        int grpcPort = freePort();
        DevicePki pki = DevicePki.create(work.resolve("pki"), "127.0.0.1", "localhost");
        DistributionProcess aranya = DistributionProcess.copy("aranya", work, suffix)
                .configure("dev.aranya.kube", Map.of("kubeconfig", controlPlane.kubeconfig(), "namespace", namespace.name()))
                .configure("dev.aranya.observability", Map.of("bindAddress", "127.0.0.1", "port", 0))
                .configure("dev.aranya.transport.tcp", Map.of("bindAddress", "127.0.0.1", "port", tcpPort,
                        "tlsCertificate", pki.serverCertificate(), "tlsKey", pki.serverKey(),
                        "auth", "client-certificate", "clientCa", pki.ca()))
                .configure("dev.aranya.transport.grpc", Map.of("bindAddress", "127.0.0.1", "port", grpcPort,
                        "tlsCertificate", pki.serverCertificate(), "tlsKey", pki.serverKey(), "clientCa", pki.ca()))
                .configure("dev.aranya.controller", controller);
        return new AranyaTransports(aranya, pki, broker, tcpPort, grpcPort);
    }

    public DistributionProcess aranya() {
        return aranya;
    }

    public DevicePki pki() {
        return pki;
    }

    /**
     * The agent link's settings for the method, without the {@code link.} prefix of the agent's configuration:
     * Aranya's address, or the broker and the device's topic namespace (ignored by the other methods).
     */
    public Map<String, String> linkSettings(String method, String topicNamespace) {
        return switch (method) {
            case "tcp" -> Map.of("host", "127.0.0.1", "port", String.valueOf(tcpPort));
            case "grpc" -> Map.of("host", "127.0.0.1", "port", String.valueOf(grpcPort));
            case "mqtt" -> Map.of("broker", broker.address(), "topicNamespace", topicNamespace);
            default -> throw new IllegalArgumentException("no transport " + method);
        };
    }

    /** {@link #linkSettings} as an agent distribution's {@code link.*} settings ({@link ArhatAgents#configure}). */
    public Map<String, Object> agentLink(String method, String topicNamespace) {
        Map<String, Object> link = new HashMap<>();
        linkSettings(method, topicNamespace).forEach((key, value) -> link.put("link." + key, value));
        return link;
    }

    /** An EdgeDevice manifest of a device on the method, ending with a document separator, to append to others. */
    public String edgeDevice(String name, String method, String topicNamespace) {
        return (method.equals("mqtt") ? EdgeDeviceManifests.mqtt(name, broker.address(), topicNamespace)
                : EdgeDeviceManifests.served(name, method)) + "---\n";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
