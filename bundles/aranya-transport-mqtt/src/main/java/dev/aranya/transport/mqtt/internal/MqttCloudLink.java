package dev.aranya.transport.mqtt.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.Direction;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.v1.Goodbye;
import dev.aranya.protocol.v1.Presence;
import dev.aranya.protocol.v1.PresenceState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocketFactory;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the {@code mqtt} method. Each protocol connection is a broker connection of its own whose
 * Last Will is a retained OFFLINE presence for that connection, so Aranya learns at once when the agent vanishes.
 * Settings (the agent's configuration): {@code broker}, {@code topicNamespace}, {@code deviceNamespace},
 * {@code deviceName}; optional {@code clientID}, {@code version}, {@code transport}, {@code keepaliveInterval},
 * {@code maxPayloadSize}, {@code maxFrameSize} (largest frame from Aranya), {@code username}, {@code passwordFile},
 * {@code caFile}, {@code certFile}, {@code keyFile}.
 */
@Component(service = CloudLink.class, property = DeviceTransport.METHOD_PROPERTY + "=" + Aranya.METHOD_MQTT)
public final class MqttCloudLink implements CloudLink {
    private static final Logger LOG = LoggerFactory.getLogger(MqttCloudLink.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public String method() {
        return Aranya.METHOD_MQTT;
    }

    @Override
    public DeviceConnection connect(Map<String, String> config, FrameHandler handler) throws IOException {
        MqttSettings settings = settings(config);
        DeviceId device = new DeviceId(required(config, "deviceNamespace"), required(config, "deviceName"));
        long connectionId = newConnectionId();
        Topics topics = settings.topics();
        String clientId = settings.clientId() != null ? settings.clientId()
                : "arhat-" + device.namespace() + "-" + device.name();
        AtomicReference<MqttDeviceConnection> connection = new AtomicReference<>();
        BrokerClient client = BrokerClient.create(settings, clientId,
                new BrokerClient.Will(topics.status(), presence(PresenceState.PRESENCE_STATE_OFFLINE, connectionId)),
                false, new BrokerClient.Listener() {
                    @Override
                    public void message(String topic, byte[] payload, boolean retained) {
                        MqttDeviceConnection current = connection.get();
                        if (current != null) {
                            receive(current, payload);
                        }
                    }

                    @Override
                    public void connectionLost(String cause) {
                        MqttDeviceConnection current = connection.get();
                        if (current != null) {
                            current.close("lost the MQTT broker: " + cause);
                        }
                    }
                });
        MqttDeviceConnection created = new MqttDeviceConnection(device, connectionId, Direction.ARANYA_TO_AGENT,
                "Aranya via " + settings.describe(), maxFrameSize(config.get("maxFrameSize")),
                () -> maxPayload(settings, client), payload -> client.publish(topics.msg(), payload, false),
                closed -> goOffline(client, topics, closed));
        created.setHandler(handler);
        connection.set(created);
        try {
            client.connect();
            client.subscribe(topics.cmd());
            client.publish(topics.status(), presence(PresenceState.PRESENCE_STATE_ONLINE, connectionId), true);
        } catch (IOException e) {
            connection.set(null);
            client.close();
            throw e;
        }
        LOG.info("Connected to Aranya through MQTT broker {} on {} as {} ({})", settings.describe(),
                topics.namespace(), clientId, created);
        return created;
    }

    private static void receive(MqttDeviceConnection connection, byte[] payload) {
        InboundMessage message;
        try {
            message = InboundMessage.parse(payload, connection.maxInboundFrameSize());
        } catch (ProtocolException e) {
            LOG.warn("Dropping an undecodable message from Aranya: {}", e.getMessage());
            return;
        }
        if (message.connectionId() != connection.connectionId()) {
            return; // queued for an earlier connection (persistent session)
        }
        if (message.frame() != null && message.sequence() == 0 && message.frame().hasGoodbye()) {
            // Aranya dropped this connection's state (unknown to it, transport stopping, device removed): outside
            // the sequencer, and the end of it
            Goodbye goodbye = message.frame().getGoodbye();
            connection.close("Aranya ended the connection (" + goodbye.getReason() + "): " + goodbye.getMessage());
            return;
        }
        connection.accept(message);
    }

    private static void goOffline(BrokerClient client, Topics topics, MqttDeviceConnection connection) {
        try {
            client.publish(topics.status(), presence(PresenceState.PRESENCE_STATE_OFFLINE, connection.connectionId()), true);
        } catch (IOException e) {
            LOG.debug("Cannot publish OFFLINE: {}", e.getMessage());
        }
        // Paho must not be closed on its own callback thread: hand it to a short-lived thread
        Thread closer = new Thread(client::close, "arhat-mqtt-close");
        closer.setDaemon(true);
        closer.start();
    }

    private static int maxPayload(MqttSettings settings, BrokerClient client) {
        int broker = client.brokerMaxPacketSize();
        int overhead = settings.topics().msg().getBytes(StandardCharsets.UTF_8).length + 32;
        return Math.min(settings.maxPayloadSize(), broker == Integer.MAX_VALUE ? Integer.MAX_VALUE : broker - overhead);
    }

    static MqttSettings settings(Map<String, String> config) {
        String caFile = config.get("caFile");
        SSLSocketFactory tls = caFile == null || caFile.isEmpty() ? null
                : TlsSockets.socketFactory(read(caFile), readOptional(config.get("certFile")),
                readOptional(config.get("keyFile")), "the agent's MQTT TLS files");
        String passwordFile = config.get("passwordFile");
        String maxPayload = config.get("maxPayloadSize");
        Integer maxPayloadSize;
        try {
            maxPayloadSize = maxPayload == null || maxPayload.isEmpty() ? null : Integer.valueOf(maxPayload.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mqtt maxPayloadSize '" + maxPayload + "' is not a number of bytes");
        }
        String clientId = config.get("clientID");
        return new MqttSettings(MqttSettings.serverUri(config.get("broker"), config.get("transport"), tls != null),
                new Topics(config.get("topicNamespace")), clientId == null || clientId.isEmpty() ? null : clientId,
                MqttSettings.isMqtt5(config.get("version")), MqttSettings.keepalive(config.get("keepaliveInterval")),
                MqttSettings.maxPayloadSize(maxPayloadSize), tls, emptyToNull(config.get("username")),
                passwordFile == null || passwordFile.isEmpty() ? null : read(passwordFile).clone());
    }

    private static int maxFrameSize(String value) {
        if (value == null || value.isEmpty()) {
            return ProtocolLimits.DEFAULT_MAX_FRAME_SIZE;
        }
        try {
            return ProtocolLimits.resolveMaxFrameSize(Integer.parseInt(value.trim()));
        } catch (NumberFormatException | ProtocolException e) {
            throw new IllegalArgumentException("mqtt maxFrameSize '" + value + "' must be a number of bytes from "
                    + ProtocolLimits.MIN_FRAME_SIZE_LIMIT + " to " + ProtocolLimits.MAX_FRAME_SIZE_LIMIT);
        }
    }

    static byte[] presence(PresenceState state, long connectionId) {
        return Presence.newBuilder().setState(state).setConnectionId(connectionId).build().toByteArray();
    }

    private static long newConnectionId() {
        long id;
        do {
            id = RANDOM.nextLong();
        } while (id == 0);
        return id;
    }

    private static String required(Map<String, String> config, String key) {
        String value = config.get(key);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("mqtt setting " + key + " is required");
        }
        return value;
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private static byte[] readOptional(String path) {
        return path == null || path.isEmpty() ? null : read(path);
    }

    private static byte[] read(String path) {
        try {
            return Files.readAllBytes(Path.of(path));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
