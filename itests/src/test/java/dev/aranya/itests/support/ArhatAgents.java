package dev.aranya.itests.support;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Arhat agent distributions set up as an operator sets one up on a device: the device's identity and certificate,
 * the link to Aranya for the connectivity method, and for the gRPC and MQTT methods the link's bundles, which the
 * agent distribution does not ship (it has the TCP link only), copied from Aranya's {@code bundle/}.
 */
public final class ArhatAgents {
    private static final Map<String, List<String>> LINK_BUNDLES = Map.of(
            "tcp", List.of(),
            "grpc", List.of("aranya-transport-grpc-", "grpc-bundle-", "guava-", "failureaccess-", "gson-",
                    "netty-codec-http-", "netty-codec-http2-", "netty-handler-proxy-", "netty-codec-socks-",
                    "netty-codec-compression-", "netty-transport-classes-epoll-", "netty-transport-native-epoll-"),
            "mqtt", List.of("aranya-transport-mqtt-"));

    private ArhatAgents() {
    }

    /**
     * A configured, not yet started agent in {@code work/arhat-<device>}.
     *
     * @param link     the method's {@code link.*} settings: host and port, or broker and topic namespace
     * @param settings further {@code dev.aranya.arhat} settings (reconnect timing, log source…)
     */
    public static DistributionProcess configure(Path work, DevicePki pki, String namespace, String device,
            String method, Map<String, ?> link, Map<String, ?> settings) throws IOException, InterruptedException {
        List<String> linkBundles = LINK_BUNDLES.get(method);
        if (linkBundles == null) {
            throw new IllegalArgumentException("no agent link for method " + method);
        }
        Path[] certificate = pki.device(namespace, device);
        Map<String, Object> all = new HashMap<>(Map.of("deviceNamespace", namespace, "deviceName", device,
                "method", method, "link.certificate", certificate[0], "link.key", certificate[1],
                "link.caCertificate", pki.ca()));
        all.putAll(link);
        all.putAll(settings);
        DistributionProcess agent = DistributionProcess.copy("arhat", work, device).configure("dev.aranya.arhat", all);
        for (String prefix : linkBundles) {
            Path jar = jar(RuntimeBundles.runtimeDir().resolve("bundle"), prefix);
            Files.copy(jar, agent.home().resolve("bundle").resolve(jar.getFileName()));
        }
        return agent;
    }

    /** The one {@code <prefix><version>.jar} in the folder. */
    public static Path jar(Path folder, String prefix) throws IOException {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(folder, prefix + "[0-9]*.jar")) {
            for (Path jar : jars) {
                return jar;
            }
        }
        throw new IllegalStateException("no " + prefix + "*.jar in " + folder);
    }
}
