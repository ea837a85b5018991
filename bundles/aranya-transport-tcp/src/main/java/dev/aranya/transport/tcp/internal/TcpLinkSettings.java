package dev.aranya.transport.tcp.internal;

import dev.aranya.protocol.ProtocolLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's settings of the tcp method, from the map it passes to {@code CloudLink.connect} (docs/transports.md):
 * {@code host} (required), {@code port} (10443), {@code certificate} and {@code key} (the device's PEM files; both
 * or neither), {@code bootstrapTokenFile} (enrolment when there is no certificate), {@code dataDirectory} (where an
 * enrolled certificate is kept; the agent sets it), {@code caCertificate} (PEM trusted for Aranya's certificate;
 * empty: the JVM's trust store), {@code serverName} (the name Aranya's certificate must carry; default: host),
 * {@code maxFrameSize} (1048576), {@code connectTimeoutSeconds} (10), and the agent's {@code deviceNamespace},
 * {@code deviceName}.
 */
record TcpLinkSettings(String host, int port, Optional<Path> certificate, Optional<Path> key, Optional<Path> caCertificate,
                       String serverName, int maxFrameSize, Duration connectTimeout, Optional<Path> bootstrapTokenFile,
                       Optional<Path> dataDirectory, String deviceNamespace, String deviceName) {

    static TcpLinkSettings of(Map<String, String> settings) {
        String host = required(settings, "host");
        int port = number(settings, "port", 10443);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("tcp setting port must be within 1..65535, was " + port);
        }
        Optional<Path> certificate = path(settings, "certificate");
        Optional<Path> key = path(settings, "key");
        if (certificate.isPresent() != key.isPresent()) {
            throw new IllegalArgumentException("tcp settings certificate and key go together: set both, or neither to use an enrolled certificate");
        }
        certificate.ifPresent(file -> TcpServerSettings.readable(file, "tcp setting certificate"));
        key.ifPresent(file -> TcpServerSettings.readable(file, "tcp setting key"));
        Optional<Path> dataDirectory = path(settings, "dataDirectory");
        if (certificate.isEmpty() && dataDirectory.isEmpty()) {
            throw new IllegalArgumentException("tcp settings certificate and key are required when there is no dataDirectory "
                    + "to keep an enrolled certificate in");
        }
        Optional<Path> ca = path(settings, "caCertificate");
        ca.ifPresent(file -> TcpServerSettings.readable(file, "tcp setting caCertificate"));
        int maxFrameSize = number(settings, "maxFrameSize", ProtocolLimits.DEFAULT_MAX_FRAME_SIZE);
        if (maxFrameSize < ProtocolLimits.MIN_FRAME_SIZE_LIMIT || maxFrameSize > ProtocolLimits.MAX_FRAME_SIZE_LIMIT) {
            throw new IllegalArgumentException("tcp setting maxFrameSize must be within " + ProtocolLimits.MIN_FRAME_SIZE_LIMIT
                    + ".." + ProtocolLimits.MAX_FRAME_SIZE_LIMIT + ", was " + maxFrameSize);
        }
        String serverName = settings.getOrDefault("serverName", "");
        return new TcpLinkSettings(host, port, certificate, key, ca, serverName.isBlank() ? host : serverName,
                maxFrameSize, Duration.ofSeconds(number(settings, "connectTimeoutSeconds", 10)), path(settings, "bootstrapTokenFile"),
                dataDirectory, settings.getOrDefault("deviceNamespace", "").trim(), settings.getOrDefault("deviceName", "").trim());
    }

    private static Optional<Path> path(Map<String, String> settings, String name) {
        return Optional.ofNullable(settings.get(name)).map(String::trim).filter(value -> !value.isEmpty()).map(Path::of);
    }

    private static String required(Map<String, String> settings, String name) {
        String value = settings.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("tcp setting " + name + " is required");
        }
        return value.trim();
    }

    private static int number(Map<String, String> settings, String name, int fallback) {
        String value = settings.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tcp setting " + name + " must be a number, was '" + value + "'");
        }
    }
}
