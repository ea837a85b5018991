package dev.aranya.transport.tcp.internal;

import dev.aranya.protocol.ProtocolLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's settings of the tcp method, from the map it passes to {@code CloudLink.connect} (docs/configuration.md):
 * {@code host} (required), {@code port} (10443), {@code certificate} and {@code key} (the device's PEM files,
 * required), {@code caCertificate} (PEM trusted for Aranya's certificate; empty: the JVM's trust store),
 * {@code serverName} (the name Aranya's certificate must carry; default: host), {@code maxFrameSize} (1048576),
 * {@code connectTimeoutSeconds} (10).
 */
record TcpLinkSettings(String host, int port, Path certificate, Path key, Optional<Path> caCertificate,
                       String serverName, int maxFrameSize, Duration connectTimeout) {

    static TcpLinkSettings of(Map<String, String> settings) {
        String host = required(settings, "host");
        int port = number(settings, "port", 10443);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("tcp setting port must be within 1..65535, was " + port);
        }
        Path certificate = Path.of(required(settings, "certificate"));
        Path key = Path.of(required(settings, "key"));
        TcpServerSettings.readable(certificate, "tcp setting certificate");
        TcpServerSettings.readable(key, "tcp setting key");
        Optional<Path> ca = Optional.ofNullable(settings.get("caCertificate")).filter(value -> !value.isBlank()).map(Path::of);
        ca.ifPresent(file -> TcpServerSettings.readable(file, "tcp setting caCertificate"));
        int maxFrameSize = number(settings, "maxFrameSize", ProtocolLimits.DEFAULT_MAX_FRAME_SIZE);
        if (maxFrameSize < ProtocolLimits.MIN_FRAME_SIZE_LIMIT || maxFrameSize > ProtocolLimits.MAX_FRAME_SIZE_LIMIT) {
            throw new IllegalArgumentException("tcp setting maxFrameSize must be within " + ProtocolLimits.MIN_FRAME_SIZE_LIMIT
                    + ".." + ProtocolLimits.MAX_FRAME_SIZE_LIMIT + ", was " + maxFrameSize);
        }
        String serverName = settings.getOrDefault("serverName", "");
        return new TcpLinkSettings(host, port, certificate, key, ca, serverName.isBlank() ? host : serverName,
                maxFrameSize, Duration.ofSeconds(number(settings, "connectTimeoutSeconds", 10)));
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
