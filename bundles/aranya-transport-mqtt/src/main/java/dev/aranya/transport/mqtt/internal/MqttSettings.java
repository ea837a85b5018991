package dev.aranya.transport.mqtt.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocketFactory;

/**
 * One side's broker settings, validated. Both ends read the same fields: Aranya from an EdgeDevice's
 * {@code spec.connectivity.mqtt}, the agent from its configuration.
 *
 * @param serverUri      Paho's server URI ({@code tcp://}, {@code ssl://}, {@code ws://} or {@code wss://})
 * @param topics         the device's topics
 * @param clientId       MQTT client id, or null to derive one
 * @param mqtt5          MQTT 5 instead of 3.1.1
 * @param keepalive      MQTT keepalive
 * @param maxPayloadSize largest payload to publish; larger frames are chunked
 * @param tls            socket factory for a TLS broker, or null for plain TCP
 * @param username       broker user, or null
 * @param password       broker password, or null; never logged
 */
record MqttSettings(String serverUri, Topics topics, String clientId, boolean mqtt5, Duration keepalive,
                    int maxPayloadSize, SSLSocketFactory tls, String username, byte[] password) {
    /** Chunks carry a 25-byte header; below this a broker could carry too little of a frame per message. */
    static final int MIN_PAYLOAD_SIZE = 1024;
    static final Duration DEFAULT_KEEPALIVE = Duration.ofSeconds(60);
    private static final Pattern GO_DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    /** A description for logs: everything but the credentials. */
    String describe() {
        return serverUri + " (MQTT " + (mqtt5 ? "5" : "3.1.1") + (username != null ? ", user " + username : "") + ")";
    }

    @Override
    public String toString() {
        return "MqttSettings[" + describe() + ", topics=" + topics.namespace() + "]";
    }

    /** {@code host:port} plus transport and TLS give Paho's server URI. */
    static String serverUri(String broker, String transport, boolean tls) {
        if (broker == null || broker.isBlank()) {
            throw new IllegalArgumentException("mqtt.broker is required (host:port of the MQTT broker)");
        }
        String scheme;
        if (transport == null || transport.isEmpty() || transport.equals("tcp")) {
            scheme = tls ? "ssl" : "tcp";
        } else if (transport.equals("websocket")) {
            scheme = tls ? "wss" : "ws";
        } else {
            throw new IllegalArgumentException("mqtt.transport '" + transport + "' is not supported: use tcp or websocket");
        }
        URI uri;
        try {
            uri = new URI(scheme + "://" + broker.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("mqtt.broker '" + broker + "' is not host:port", e);
        }
        if (uri.getHost() == null || uri.getPort() < 1 || uri.getPort() > 65535
                || (uri.getPath() != null && !uri.getPath().isEmpty() && !scheme.startsWith("ws"))) {
            throw new IllegalArgumentException("mqtt.broker '" + broker + "' is not host:port (e.g. mqtt.example.com:1883)");
        }
        return uri.toString();
    }

    /** {@code 3.1.1} (the default) or {@code 5}; answers whether it is MQTT 5. */
    static boolean isMqtt5(String version) {
        if (version == null || version.isEmpty() || version.equals("3.1.1")) {
            return false;
        }
        if (version.equals("5") || version.equals("5.0")) {
            return true;
        }
        throw new IllegalArgumentException("mqtt.version '" + version + "' is not supported: use 3.1.1 or 5");
    }

    /** A Go-style duration ({@code 60s}, {@code 1m30s}) between 1 s and MQTT's limit of 65535 s. */
    static Duration keepalive(String value) {
        if (value == null || value.isEmpty()) {
            return DEFAULT_KEEPALIVE;
        }
        Duration duration = Duration.ZERO;
        Matcher part = GO_DURATION_PART.matcher(value);
        int end = 0;
        while (part.find() && part.start() == end) {
            double amount = Double.parseDouble(part.group(1));
            double nanosPerUnit = switch (part.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            duration = duration.plusNanos((long) (amount * nanosPerUnit));
            end = part.end();
        }
        if (end == 0 || end != value.length()) {
            throw new IllegalArgumentException("mqtt.keepaliveInterval '" + value + "' is not a duration such as 60s or 1m30s");
        }
        if (duration.compareTo(Duration.ofSeconds(1)) < 0 || duration.compareTo(Duration.ofSeconds(65535)) > 0) {
            throw new IllegalArgumentException("mqtt.keepaliveInterval '" + value + "' must be between 1s and 65535s");
        }
        return duration;
    }

    /** The payload limit: unset means no limit of our own (the broker's announced limit still applies). */
    static int maxPayloadSize(Integer value) {
        if (value == null) {
            return Integer.MAX_VALUE;
        }
        if (value < MIN_PAYLOAD_SIZE) {
            throw new IllegalArgumentException("mqtt.maxPayloadSize " + value + " is too small: at least "
                    + MIN_PAYLOAD_SIZE + " bytes");
        }
        return value;
    }
}
