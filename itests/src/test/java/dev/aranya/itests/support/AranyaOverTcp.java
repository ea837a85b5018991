package dev.aranya.itests.support;

import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The Aranya distribution serving a test namespace and one device's arhat agent (more on request), as separate
 * processes configured to meet over the raw TCP transport with device certificates. Nothing is started: the test
 * starts them when it wants.
 */
public final class AranyaOverTcp {
    private final DistributionProcess aranya;
    private final DistributionProcess agent;
    private final String namespace;
    private final Path work;
    private final DevicePki pki;
    private final int transportPort;

    private AranyaOverTcp(DistributionProcess aranya, DistributionProcess agent, String namespace, Path work,
                          DevicePki pki, int transportPort) {
        this.aranya = aranya;
        this.agent = agent;
        this.namespace = namespace;
        this.work = work;
        this.pki = pki;
        this.transportPort = transportPort;
    }

    /**
     * @param controller extra {@code dev.aranya.controller} settings (give each test class its own kubelet port range)
     * @param arhat      extra {@code dev.aranya.arhat} settings
     */
    public static AranyaOverTcp configure(ControlPlane controlPlane, TestNamespace namespace, Path work, String device,
            Map<String, ?> controller, Map<String, ?> arhat) throws IOException, InterruptedException {
        int transportPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            transportPort = socket.getLocalPort();
        }
        DevicePki pki = DevicePki.create(work.resolve("pki"), "127.0.0.1", "localhost");
        DistributionProcess aranya = DistributionProcess.copy("aranya", work, device + "-aranya")
                .configure("dev.aranya.kube", Map.of("kubeconfig", controlPlane.kubeconfig(), "namespace", namespace.name()))
                .configure("dev.aranya.observability", Map.of("bindAddress", "127.0.0.1", "port", 0))
                .configure("dev.aranya.transport.tcp", Map.of("bindAddress", "127.0.0.1", "port", transportPort,
                        "tlsCertificate", pki.serverCertificate(), "tlsKey", pki.serverKey(),
                        "auth", "client-certificate", "clientCa", pki.ca()))
                .configure("dev.aranya.controller", controller);
        DistributionProcess agent = agent(namespace.name(), work, pki, transportPort, device, arhat);
        return new AranyaOverTcp(aranya, agent, namespace.name(), work, pki, transportPort);
    }

    /** Another device's agent (not started), with its own device certificate, dialing the same Aranya. */
    public DistributionProcess addAgent(String device, Map<String, ?> arhat) throws IOException, InterruptedException {
        return agent(namespace, work, pki, transportPort, device, arhat);
    }

    private static DistributionProcess agent(String namespace, Path work, DevicePki pki, int transportPort, String device,
            Map<String, ?> arhat) throws IOException, InterruptedException {
        Map<String, Object> agentSettings = new HashMap<>(Map.of("logSource", "file:log/arhat.log"));
        agentSettings.putAll(arhat);
        return ArhatAgents.configure(work, pki, namespace, device, "tcp",
                Map.of("link.host", "127.0.0.1", "link.port", transportPort), agentSettings);
    }

    public DistributionProcess aranya() {
        return aranya;
    }

    public DistributionProcess agent() {
        return agent;
    }

    /** Polls until the probe has a value; otherwise fails with the tails of both processes' output. */
    public <T> T await(String what, Supplier<Optional<T>> probe, int seconds) {
        return Polling.await(what, probe, seconds, () -> "--- aranya ---\n" + DistributionProcess.tail(aranya.output(), 60)
                + "\n--- agent ---\n" + DistributionProcess.tail(agent.output(), 30));
    }

    /** Stops the agent, then Aranya. */
    public void stop() throws InterruptedException {
        agent.stop();
        aranya.stop();
    }
}
