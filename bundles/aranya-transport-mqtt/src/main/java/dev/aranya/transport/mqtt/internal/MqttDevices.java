package dev.aranya.transport.mqtt.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.Direction;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Goodbye;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.Presence;
import dev.aranya.protocol.v1.PresenceState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aranya's side of the mqtt method, without OSGi: the registered devices, the broker clients they share (one per
 * broker, version, client id and credentials) and the protocol connections of each device. Broker clients are
 * connected, subscribed and closed on one thread of their own, so registering never waits for a broker.
 */
final class MqttDevices {
    /** Connections of one device kept at once; the session layer replaces older ones, this only bounds them. */
    static final int MAX_CONNECTIONS_PER_DEVICE = 4;
    private static final Logger LOG = LoggerFactory.getLogger(MqttDevices.class);
    private static final long RETRY_MIN_MILLIS = 500;
    private static final long RETRY_MAX_MILLIS = 30_000;

    private final CloudSettings.SecretReader secrets;
    private final int maxFrameSize;
    private final ScheduledExecutorService worker;
    private final Map<DeviceId, DeviceRoute> devices = new ConcurrentHashMap<>();
    private final Map<String, SharedClient> clients = new ConcurrentHashMap<>(); // changed on the worker only

    MqttDevices(CloudSettings.SecretReader secrets, int maxFrameSize) {
        this.secrets = secrets;
        this.maxFrameSize = maxFrameSize;
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "aranya-mqtt-transport");
            thread.setDaemon(true);
            return thread;
        });
    }

    void register(EdgeDevice device, DeviceConnectionListener listener) {
        DeviceId id = new DeviceId(device.getMetadata().getNamespace(), device.getMetadata().getName());
        CloudSettings.Resolved resolved = CloudSettings.resolve(device, secrets); // IllegalArgumentException
        DeviceRoute existing = devices.get(id);
        if (existing != null && existing.clientKey.equals(resolved.clientKey())
                && existing.settings.topics().equals(resolved.settings().topics())
                && existing.settings.maxPayloadSize() == resolved.settings().maxPayloadSize()) {
            existing.listener = listener;
            return;
        }
        if (existing != null) {
            unregister(id, "the device's MQTT settings changed", GoodbyeReason.GOODBYE_REASON_DEVICE_REMOVED);
        }
        DeviceRoute route = new DeviceRoute(id, resolved, listener);
        devices.put(id, route);
        worker.execute(() -> attach(route));
        LOG.info("Serving {} over MQTT on {}, topics {}/{{cmd,msg,status}}", id, resolved.settings().describe(),
                resolved.settings().topics().namespace());
    }

    void unregister(DeviceId id, String reason, GoodbyeReason goodbye) {
        DeviceRoute route = devices.remove(id);
        if (route == null) {
            return;
        }
        route.closeAll(reason, goodbye);
        worker.execute(() -> detach(route));
    }

    /** Closes every connection with the reason and disconnects from every broker. */
    void close(String reason) {
        for (DeviceId id : List.copyOf(devices.keySet())) {
            unregister(id, reason, GoodbyeReason.GOODBYE_REASON_SHUTDOWN);
        }
        worker.shutdown();
        try {
            if (!worker.awaitTermination(PahoClient.WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void attach(DeviceRoute route) {
        if (devices.get(route.id) != route) {
            return; // unregistered meanwhile
        }
        SharedClient shared;
        try {
            shared = clients.computeIfAbsent(route.clientKey, key -> new SharedClient(key, route));
        } catch (IllegalArgumentException e) {
            LOG.error("Device {} cannot use MQTT: {}", route.id, e.getMessage());
            return;
        }
        route.client = shared;
        shared.routes.put(route.settings.topics().msg(), route);
        shared.routes.put(route.settings.topics().status(), route);
        if (shared.connected) {
            shared.subscribe(route);
        } else if (!shared.connecting) {
            shared.connecting = true;
            worker.execute(() -> connect(shared, RETRY_MIN_MILLIS));
        }
    }

    private void detach(DeviceRoute route) {
        SharedClient shared = route.client;
        if (shared == null) {
            return;
        }
        shared.routes.remove(route.settings.topics().msg(), route);
        shared.routes.remove(route.settings.topics().status(), route);
        if (shared.connected) {
            shared.client.unsubscribe(route.settings.topics().msg());
            shared.client.unsubscribe(route.settings.topics().status());
        }
        if (shared.routes.isEmpty()) {
            clients.remove(shared.key);
            shared.closed = true;
            shared.client.close();
            LOG.info("Disconnected from MQTT broker {}: no device uses it any more", shared.settings.describe());
        }
    }

    private void connect(SharedClient shared, long delayMillis) {
        if (shared.closed) {
            return;
        }
        try {
            shared.client.connect();
            shared.connected = true;
            shared.connecting = false;
            LOG.info("Connected to MQTT broker {} as {}", shared.settings.describe(), shared.clientId);
            for (DeviceRoute route : new ArrayList<>(shared.routes.values())) {
                shared.subscribe(route);
            }
        } catch (IOException e) {
            long next = Math.min(delayMillis * 2, RETRY_MAX_MILLIS);
            LOG.warn("{}; retrying in {} ms", e.getMessage(), delayMillis);
            worker.schedule(() -> connect(shared, next), delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** One broker client and the devices whose topics it carries. */
    private final class SharedClient implements BrokerClient.Listener {
        final String key;
        final MqttSettings settings;
        final String clientId;
        final BrokerClient client;
        final Map<String, DeviceRoute> routes = new ConcurrentHashMap<>();
        volatile boolean connected;
        boolean connecting;
        volatile boolean closed;

        SharedClient(String key, DeviceRoute first) {
            this.key = key;
            this.settings = first.settings;
            this.clientId = settings.clientId() != null ? settings.clientId()
                    : CloudSettings.derivedClientId(first.id.namespace(), settings);
            BrokerClient created;
            try {
                created = BrokerClient.create(settings, clientId, null, true, this);
            } catch (IOException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            this.client = created;
        }

        void subscribe(DeviceRoute route) {
            try {
                client.subscribe(route.settings.topics().msg());
                client.subscribe(route.settings.topics().status());
            } catch (IOException e) {
                LOG.warn("{}: device {} cannot connect until it succeeds", e.getMessage(), route.id);
            }
        }

        @Override
        public void message(String topic, byte[] payload, boolean retained) {
            DeviceRoute route = routes.get(topic);
            if (route == null) {
                return; // a message queued before an unsubscribe
            }
            if (topic.equals(route.settings.topics().status())) {
                route.presence(payload, retained);
            } else {
                route.message(payload);
            }
        }

        @Override
        public void connectionLost(String cause) {
            if (!closed) {
                LOG.warn("Lost MQTT broker {}: {}; reconnecting, connections stay until their heartbeats run out",
                        settings.describe(), cause);
            }
        }
    }

    /** A registered device: its topics and its agent's connections, by connection id. */
    private final class DeviceRoute {
        final DeviceId id;
        final MqttSettings settings;
        final String clientKey;
        volatile DeviceConnectionListener listener;
        volatile SharedClient client;
        private final Map<Long, MqttDeviceConnection> connections = new LinkedHashMap<>(); // guarded by this
        private boolean closed; // guarded by this: unregistered, so no new connection is opened
        private long lastUnknownAnswered;

        DeviceRoute(DeviceId id, CloudSettings.Resolved resolved, DeviceConnectionListener listener) {
            this.id = id;
            this.settings = resolved.settings();
            this.clientKey = resolved.clientKey();
            this.listener = listener;
        }

        /** The largest message to publish: the device's limit and the broker's packet limit less the overhead. */
        int maxPayload() {
            SharedClient shared = client;
            int broker = shared == null ? Integer.MAX_VALUE : shared.client.brokerMaxPacketSize();
            // fixed header, topic, packet id and MQTT 5 properties
            int overhead = settings.topics().cmd().getBytes(StandardCharsets.UTF_8).length + 32;
            return Math.min(settings.maxPayloadSize(), broker == Integer.MAX_VALUE ? Integer.MAX_VALUE : broker - overhead);
        }

        void message(byte[] payload) {
            InboundMessage message;
            try {
                message = InboundMessage.parse(payload, maxFrameSize);
            } catch (ProtocolException e) {
                LOG.warn("Dropping an undecodable message on {} for {}: {}", settings.topics().msg(), id, e.getMessage());
                return;
            }
            MqttDeviceConnection connection;
            boolean opened = false;
            synchronized (this) {
                connection = connections.get(message.connectionId());
                if (closed) {
                    return; // a message the broker delivered while the device was unregistered
                }
                if (connection == null && message.mayOpenConnection() && message.connectionId() != 0) {
                    connection = open(message.connectionId());
                    opened = true;
                }
            }
            if (connection == null) {
                answerUnknown(message.connectionId());
                return;
            }
            if (opened && !handOver(connection)) {
                return;
            }
            connection.accept(message); // a connection closed meanwhile by closeAll drops it
        }

        void presence(byte[] payload, boolean retained) {
            Presence presence;
            try {
                presence = Presence.parseFrom(payload);
            } catch (InvalidProtocolBufferException e) {
                LOG.warn("Dropping an undecodable presence on {} for {}", settings.topics().status(), id);
                return;
            }
            MqttDeviceConnection connection;
            synchronized (this) {
                connection = connections.get(presence.getConnectionId());
            }
            if (presence.getState() == PresenceState.PRESENCE_STATE_OFFLINE && connection != null) {
                LOG.info("{} went offline (presence OFFLINE on {})", connection, settings.topics().status());
                connection.close("the agent went offline (its Last Will or its own OFFLINE presence)");
            } else if (presence.getState() == PresenceState.PRESENCE_STATE_ONLINE && retained && connection == null) {
                // an agent online from before this Aranya started: make it start over with a Hello
                answerUnknown(presence.getConnectionId());
            }
        }

        private MqttDeviceConnection open(long connectionId) {
            if (connections.size() >= MAX_CONNECTIONS_PER_DEVICE) {
                MqttDeviceConnection oldest = connections.values().iterator().next();
                worker.execute(() -> oldest.close("replaced by a newer connection of the device"));
                connections.remove(oldest.connectionId());
            }
            MqttDeviceConnection connection = new MqttDeviceConnection(id, connectionId, Direction.AGENT_TO_ARANYA,
                    "agent on " + settings.topics().namespace() + " via " + settings.describe(), maxFrameSize,
                    this::maxPayload, this::publishCommand, this::forget);
            connections.put(connectionId, connection);
            return connection;
        }

        /** Tells the listener of a new connection; false if it refused it. */
        private boolean handOver(MqttDeviceConnection connection) {
            try {
                FrameHandler handler = listener.connected(connection);
                connection.setHandler(handler);
                LOG.info("{} connected", connection);
                return true;
            } catch (RuntimeException e) {
                LOG.warn("The session layer refused {}: {}", connection, e.toString());
                connection.close("refused: " + e.getMessage());
                return false;
            }
        }

        private synchronized void forget(MqttDeviceConnection connection) {
            connections.remove(connection.connectionId(), connection);
        }

        private void publishCommand(byte[] payload) throws IOException {
            SharedClient shared = client;
            if (shared == null) {
                throw new IOException("not connected to the broker yet");
            }
            shared.client.publish(settings.topics().cmd(), payload, false);
        }

        /** Goodbye{UNKNOWN_CONNECTION} with sequence 0 (protocol.md), once per unknown connection in a row. */
        private void answerUnknown(long connectionId) {
            synchronized (this) {
                if (connectionId == 0 || connectionId == lastUnknownAnswered) {
                    return;
                }
                lastUnknownAnswered = connectionId;
            }
            if (sayGoodbye(connectionId, GoodbyeReason.GOODBYE_REASON_UNKNOWN_CONNECTION,
                    "Aranya has no state for this connection: start a new one")) {
                LOG.info("Told {} that connection {} is unknown here", id, Long.toUnsignedString(connectionId, 16));
            }
        }

        /**
         * A Goodbye with sequence 0, which the agent acts on at once: sent when Aranya drops a connection's state
         * without the session layer (unknown connection, transport stopping, device removed), so the agent starts
         * over at once instead of waiting for its heartbeat timeout.
         */
        private boolean sayGoodbye(long connectionId, GoodbyeReason reason, String message) {
            Frame goodbye = Frame.newBuilder().setConnectionId(connectionId).setSequence(0)
                    .setGoodbye(Goodbye.newBuilder().setReason(reason).setMessage(message))
                    .build();
            try {
                publishCommand(goodbye.toByteArray());
                return true;
            } catch (IOException e) {
                LOG.warn("Cannot tell {} goodbye: {}", id, e.getMessage());
                return false;
            }
        }

        void closeAll(String reason, GoodbyeReason goodbye) {
            List<MqttDeviceConnection> open;
            synchronized (this) {
                closed = true;
                open = List.copyOf(connections.values());
            }
            // close before the Goodbye: the agent answers it with an OFFLINE presence within milliseconds, which
            // would otherwise close the connection first with "the agent went offline" and hide the real reason
            for (MqttDeviceConnection connection : open) {
                connection.close(reason);
                sayGoodbye(connection.connectionId(), goodbye, reason);
            }
        }
    }
}
