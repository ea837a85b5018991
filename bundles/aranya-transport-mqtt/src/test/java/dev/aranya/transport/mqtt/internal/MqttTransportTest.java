package dev.aranya.transport.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.aranya.api.model.ConnectivitySpec;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.model.EdgeDeviceSpec;
import dev.aranya.api.model.MqttSpec;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Data;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Hello;
import dev.aranya.protocol.v1.HelloAck;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Aranya's MQTT transport and the agent's MQTT link through a real Mosquitto started by the test. */
class MqttTransportTest {
    private static final String NS = "edge";
    private static final String NAME = "dev-1";

    @TempDir
    Path dir;
    private Mosquitto broker;
    private MqttDeviceTransport transport;
    private DeviceConnection agent;
    private final Map<String, Map<String, byte[]>> secrets = new HashMap<>();

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) {
            agent.close("test over");
        }
        if (transport != null) {
            transport.deactivate();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(strings = {"3.1.1", "5"})
    void framesTravelBothWaysThroughTheBroker(String version) throws Exception {
        broker = new Mosquitto(dir, 0, null, null);
        Recorders.Connections cloud = serve(spec(broker.broker(), version, null, null), 1 << 20);
        Recorders.Frames agentFrames = new Recorders.Frames();
        agent = new MqttCloudLink().connect(agentConfig(broker.broker(), version), agentFrames);

        agent.send(hello(agentConnectionId()));
        DeviceConnection connection = cloud.nextConnection();
        Recorders.Frames cloudFrames = cloud.nextHandler();
        assertThat(connection.device()).isEqualTo(new DeviceId(NS, NAME));
        assertThat(connection.method()).isEqualTo("mqtt");
        assertThat(cloudFrames.next().getHello().getDeviceName()).isEqualTo(NAME);

        connection.send(Frame.newBuilder().setConnectionId(agentConnectionId()).setSequence(1)
                .setHelloAck(HelloAck.newBuilder().setProtocolVersion(1)).build());
        assertThat(agentFrames.next().getHelloAck().getProtocolVersion()).isEqualTo(1);

        for (int i = 2; i <= 20; i++) {
            agent.send(stdout(agentConnectionId(), i, ("line " + i).getBytes(StandardCharsets.UTF_8)));
        }
        for (int i = 2; i <= 20; i++) {
            Frame frame = cloudFrames.next();
            assertThat(frame.getSequence()).isEqualTo(i);
            assertThat(frame.getData().getPayload().toStringUtf8()).isEqualTo("line " + i);
        }
    }

    @Test
    void stoppingTheTransportEndsItsConnectionsOnBothEndsAtOnce() throws Exception {
        broker = new Mosquitto(dir, 0, null, null);
        Recorders.Connections cloud = serve(spec(broker.broker(), "3.1.1", null, null), 1 << 20);
        Recorders.Frames agentFrames = new Recorders.Frames();
        agent = new MqttCloudLink().connect(agentConfig(broker.broker(), "3.1.1"), agentFrames);
        agent.send(hello(agentConnectionId()));
        cloud.nextConnection();
        Recorders.Frames cloudFrames = cloud.nextHandler();
        cloudFrames.next(); // a stop racing the set-up: aConnectionTheTransportClosesWhileTheSessionLayerTakesIt…

        transport.deactivate();
        transport = null;
        assertThat(cloudFrames.closed.get(5, TimeUnit.SECONDS)).isEqualTo("the MQTT transport is stopping");
        assertThat(agentFrames.closed.get(5, TimeUnit.SECONDS))
                .isEqualTo("Aranya ended the connection (GOODBYE_REASON_SHUTDOWN): the MQTT transport is stopping");
    }

    @Test
    void aConnectionTheTransportClosesWhileTheSessionLayerTakesItStillEndsThere() throws Exception {
        broker = new Mosquitto(dir, 0, null, null);
        MqttSpec spec = spec(broker.broker(), "3.1.1", null, null);
        transport = new MqttDeviceTransport((ns, name) -> secrets.get(name), 1 << 20);
        Recorders.Frames handler = new Recorders.Frames();
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        MqttDeviceTransport stopping = transport;
        transport.register(device(spec), connection -> {
            // the transport stops while the session layer is still taking the connection
            CompletableFuture.runAsync(stopping::deactivate).whenComplete((ok, e) -> stopped.complete(null));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            try {
                // a connection that sends no more is closed
                while (connection.send(helloAck()) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return handler;
        });
        awaitSubscribed(spec);
        agent = new MqttCloudLink().connect(agentConfig(broker.broker(), "3.1.1"), new Recorders.Frames());
        agent.send(hello(agentConnectionId()));

        assertThat(handler.closed.get(10, TimeUnit.SECONDS)).isEqualTo("the MQTT transport is stopping");
        stopped.get(10, TimeUnit.SECONDS);
        transport = null;
    }

    @Test
    void aVanishedAgentIsOfflineAtOnceThroughItsLastWill() throws Exception {
        broker = new Mosquitto(dir, 0, null, null);
        Recorders.Connections cloud = serve(spec(broker.broker(), "3.1.1", null, null), 1 << 20);
        try (CutProxy proxy = new CutProxy(broker.port())) {
            Map<String, String> config = agentConfig(proxy.address(), "3.1.1");
            config.put("keepaliveInterval", "60s"); // the Will, not the broker's keepalive, must end it
            agent = new MqttCloudLink().connect(config, new Recorders.Frames());
            agent.send(hello(agentConnectionId()));
            cloud.nextConnection();
            Recorders.Frames cloudFrames = cloud.nextHandler();
            cloudFrames.next();

            long cut = System.nanoTime();
            proxy.cut();
            String reason = cloudFrames.closed.get(5, TimeUnit.SECONDS);
            assertThat(reason).contains("went offline");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut)).isLessThan(5000);
        }
    }

    @Test
    void duplicatedAndReorderedFramesReachTheSessionOnceAndInOrder() throws Exception {
        broker = new Mosquitto(dir, 0, null, null);
        Recorders.Connections cloud = serve(spec(broker.broker(), "3.1.1", null, null), 1 << 20);
        long connectionId = 0x1234_5678_9abcL;
        MqttClient raw = new MqttClient("tcp://" + broker.broker(), "raw-agent", new MemoryPersistence());
        raw.connect(new MqttConnectOptions());
        try {
            for (int sequence : new int[] {1, 3, 2, 2, 3, 5, 4, 1}) {
                byte[] payload = sequence == 1 ? hello(connectionId).toByteArray()
                        : stdout(connectionId, sequence, ("n" + sequence).getBytes(StandardCharsets.UTF_8)).toByteArray();
                raw.publish("devices/" + NAME + "/msg", payload, 1, false);
            }
            cloud.nextConnection();
            Recorders.Frames frames = cloud.nextHandler();
            for (int expected = 1; expected <= 5; expected++) {
                assertThat(frames.next().getSequence()).isEqualTo(expected);
            }
            assertThat(frames.frames.poll(300, TimeUnit.MILLISECONDS)).as("no duplicate delivered").isNull();
            assertThat(frames.closed).isNotDone();
        } finally {
            raw.disconnect();
            raw.close();
        }
    }

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(strings = {"3.1.1", "5"})
    void aThreeMebibyteFrameCrossesABrokerLimitedTo256KiB(String version) throws Exception {
        int limit = 256 << 10;
        broker = new Mosquitto(dir, limit, null, null);
        // MQTT 5 learns the limit from the broker; 3.1.1 cannot, so the device's settings name it
        Integer maxPayload = version.equals("5") ? null : limit - 1024;
        MqttSpec spec = new MqttSpec(broker.broker(), "devices/" + NAME, null, version, null, null, maxPayload, null, null);
        Recorders.Connections cloud = serve(spec, 4 << 20);
        Recorders.Frames agentFrames = new Recorders.Frames();
        Map<String, String> config = agentConfig(broker.broker(), version);
        config.put("maxFrameSize", String.valueOf(4 << 20));
        if (maxPayload != null) {
            config.put("maxPayloadSize", String.valueOf(maxPayload));
        }
        agent = new MqttCloudLink().connect(config, agentFrames);
        agent.send(hello(agentConnectionId()));
        DeviceConnection connection = cloud.nextConnection();
        Recorders.Frames cloudFrames = cloud.nextHandler();
        cloudFrames.next();

        byte[] big = new byte[3 << 20];
        new Random(7).nextBytes(big);
        assertThat(agent.send(stdout(agentConnectionId(), 2, big))).isTrue();
        Frame received = cloudFrames.next();
        assertThat(received.getData().getPayload().toByteArray()).isEqualTo(big);

        Frame down = Frame.newBuilder().setConnectionId(agentConnectionId()).setSequence(1).setStreamId(1)
                .setData(Data.newBuilder().setChannel(Channel.CHANNEL_STDIN).setPayload(ByteString.copyFrom(big))).build();
        assertThat(connection.send(down)).isTrue();
        assertThat(agentFrames.next().getData().getPayload().toByteArray()).isEqualTo(big);
        assertThat(cloudFrames.closed).isNotDone();
    }

    @Test
    void usernameAndPasswordFromSecretsAndFiles() throws Exception {
        broker = new Mosquitto(dir, 0, "device", "s3cret");
        secrets.put("mqtt-login", Map.of("username", bytes("device"), "password", bytes("s3cret")));
        Recorders.Connections cloud = serve(spec(broker.broker(), "5", null, "mqtt-login"), 1 << 20);
        Path passwordFile = dir.resolve("password");

        Map<String, String> config = agentConfig(broker.broker(), "5");
        config.put("username", "device");
        Files.writeString(passwordFile, "wrong");
        config.put("passwordFile", passwordFile.toString());
        assertThatThrownBy(() -> new MqttCloudLink().connect(config, new Recorders.Frames()))
                .isInstanceOf(IOException.class).hasMessageContaining("cannot connect to MQTT broker")
                .message().doesNotContain("wrong");

        Files.writeString(passwordFile, "s3cret");
        agent = new MqttCloudLink().connect(config, new Recorders.Frames());
        agent.send(hello(agentConnectionId()));
        assertThat(cloud.nextConnection().device()).isEqualTo(new DeviceId(NS, NAME));
        assertThat(cloud.nextHandler().next().hasHello()).isTrue();
    }

    @Test
    void tlsWithClientCertificatesFromASecretAndFiles() throws Exception {
        TestCertificates certificates = TestCertificates.create(dir);
        broker = new Mosquitto(dir, 0, null, null, certificates);
        secrets.put("broker-tls", Map.of("ca.crt", Files.readAllBytes(certificates.ca()),
                "tls.crt", Files.readAllBytes(certificates.clientCertificate()),
                "tls.key", Files.readAllBytes(certificates.clientKey())));
        transport = new MqttDeviceTransport((ns, name) -> secrets.get(name), 1 << 20);
        Recorders.Connections cloud = new Recorders.Connections();
        transport.register(device(spec(broker.broker(), "3.1.1", "broker-tls", null)), cloud);

        Map<String, String> config = agentConfig(broker.broker(), "3.1.1");
        config.put("caFile", certificates.ca().toString());
        config.put("certFile", certificates.clientCertificate().toString());
        config.put("keyFile", certificates.clientKey().toString());
        Recorders.Frames agentFrames = new Recorders.Frames();
        // Aranya subscribes in the background: an agent retries its Hello until it is answered
        DeviceConnection connection = null;
        for (int attempt = 0; attempt < 50 && connection == null; attempt++) {
            agent = new MqttCloudLink().connect(config, agentFrames);
            agent.send(hello(agentConnectionId()));
            connection = cloud.connections.poll(200, TimeUnit.MILLISECONDS);
            if (connection == null) {
                agent.close("retry");
            }
        }
        assertThat(connection).as("a connection over TLS").isNotNull();
        assertThat(connection.peer()).contains("ssl://127.0.0.1:" + broker.port());

        config.remove("certFile");
        config.remove("keyFile");
        assertThatThrownBy(() -> new MqttCloudLink().connect(config, new Recorders.Frames()))
                .as("the broker requires a client certificate").isInstanceOf(IOException.class);
    }

    @Test
    void aHostileChunkStreamClosesTheConnection() throws Exception {
        broker = new Mosquitto(dir, 0, null, null);
        Recorders.Connections cloud = serve(spec(broker.broker(), "3.1.1", null, null), 1 << 20);
        long connectionId = 0x4242L;
        MqttClient raw = new MqttClient("tcp://" + broker.broker(), "hostile", new MemoryPersistence());
        raw.connect(new MqttConnectOptions());
        try {
            raw.publish("devices/" + NAME + "/msg", hello(connectionId).toByteArray(), 1, false);
            cloud.nextConnection();
            Recorders.Frames frames = cloud.nextHandler();
            frames.next();
            // chunks that claim a frame far beyond the 1 MiB limit, 64 KiB at a time
            for (int index = 0; index < 40; index++) {
                byte[] chunk = java.nio.ByteBuffer.allocate(Chunks.HEADER_SIZE + (64 << 10)).put(Chunks.MARKER)
                        .putLong(connectionId).putLong(2).putInt(index).putInt(1000).array();
                raw.publish("devices/" + NAME + "/msg", chunk, 1, false);
            }
            assertThat(frames.closed.get(10, TimeUnit.SECONDS)).contains("protocol error").contains("exceeds the limit");
        } finally {
            raw.disconnect();
            raw.close();
        }
    }

    @Test
    void unusableSettingsAreRefusedWithAMessageForTheUser() throws Exception {
        transport = new MqttDeviceTransport((ns, name) -> secrets.get(name), 1 << 20);
        Recorders.Connections cloud = new Recorders.Connections();
        assertThatThrownBy(() -> transport.register(device(new MqttSpec("no-port", "d", null, null, null, null, null, null, null)), cloud))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mqtt.broker 'no-port' is not host:port");
        assertThatThrownBy(() -> transport.register(device(new MqttSpec("b:1883", "d/#", null, null, null, null, null, null, null)), cloud))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wildcards");
        assertThatThrownBy(() -> transport.register(device(new MqttSpec("b:1883", "d", null, "4", null, null, null, null, null)), cloud))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use 3.1.1 or 5");
        assertThatThrownBy(() -> transport.register(device(new MqttSpec("b:1883", "d", null, null, null, "soon", null, null, null)), cloud))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keepaliveInterval 'soon'");
        assertThatThrownBy(() -> transport.register(device(new MqttSpec("b:1883", "d", null, null, null, null, 32, null, null)), cloud))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPayloadSize 32 is too small");
        assertThatThrownBy(() -> transport.register(device(new MqttSpec("b:1883", "d", null, null, null, null, null, null,
                new LocalObjectReference("missing"))), cloud))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Secret missing named by mqtt.userPassRef does not exist");
    }

    private Recorders.Connections serve(MqttSpec spec, int maxFrameSize) throws Exception {
        transport = new MqttDeviceTransport((ns, name) -> secrets.get(name), maxFrameSize);
        Recorders.Connections cloud = new Recorders.Connections();
        transport.register(device(spec), cloud);
        awaitSubscribed(spec);
        return cloud;
    }

    /**
     * Aranya subscribes in the background (an agent would retry its Hello): wait until it answers a frame of an
     * unknown connection on /cmd, as it does once subscribed.
     */
    private void awaitSubscribed(MqttSpec spec) throws Exception {
        MqttConnectOptions options = new MqttConnectOptions();
        Map<String, byte[]> login = spec.userPassRef() == null ? null : secrets.get(spec.userPassRef().getName());
        if (login != null) {
            options.setUserName(new String(login.get("username"), StandardCharsets.UTF_8));
            options.setPassword(new String(login.get("password"), StandardCharsets.UTF_8).toCharArray());
        }
        MqttClient raw = new MqttClient("tcp://" + spec.broker(), "probe", new MemoryPersistence());
        raw.connect(options);
        try {
            java.util.concurrent.CompletableFuture<Void> answered = new java.util.concurrent.CompletableFuture<>();
            raw.subscribe(spec.topicNamespace() + "/cmd", 1, (topic, message) -> answered.complete(null));
            for (long probe = 1; probe <= 100 && !answered.isDone(); probe++) {
                raw.publish(spec.topicNamespace() + "/msg", stdout(-probe, 2, new byte[] {1}).toByteArray(), 1, false);
                Thread.sleep(100);
            }
            assertThat(answered).as("Aranya subscribed").isDone();
        } finally {
            raw.disconnect();
            raw.close();
        }
    }

    private long agentConnectionId() {
        return ((MqttDeviceConnection) agent).connectionId();
    }

    private static MqttSpec spec(String broker, String version, String tlsSecret, String userPassSecret) {
        return new MqttSpec(broker, "devices/" + NAME, null, version, null, null, null,
                tlsSecret == null ? null : new LocalObjectReference(tlsSecret),
                userPassSecret == null ? null : new LocalObjectReference(userPassSecret));
    }

    private static EdgeDevice device(MqttSpec spec) {
        EdgeDevice device = new EdgeDevice();
        ObjectMeta metadata = new ObjectMeta();
        metadata.setNamespace(NS);
        metadata.setName(NAME);
        device.setMetadata(metadata);
        device.setSpec(new EdgeDeviceSpec(new ConnectivitySpec("mqtt", null, null, spec, null, null), null, null, null));
        return device;
    }

    private static Map<String, String> agentConfig(String broker, String version) {
        Map<String, String> config = new HashMap<>();
        config.put("broker", broker);
        config.put("topicNamespace", "devices/" + NAME);
        config.put("version", version);
        config.put("deviceNamespace", NS);
        config.put("deviceName", NAME);
        return config;
    }

    private Frame helloAck() {
        return Frame.newBuilder().setConnectionId(agentConnectionId()).setSequence(1)
                .setHelloAck(HelloAck.newBuilder().setProtocolVersion(1)).build();
    }

    private static Frame hello(long connectionId) {
        return Frame.newBuilder().setConnectionId(connectionId).setSequence(1)
                .setHello(Hello.newBuilder().setDeviceNamespace(NS).setDeviceName(NAME).setProtocolVersion(1)).build();
    }

    private static Frame stdout(long connectionId, long sequence, byte[] payload) {
        return Frame.newBuilder().setConnectionId(connectionId).setSequence(sequence).setStreamId(1)
                .setData(Data.newBuilder().setChannel(Channel.CHANNEL_STDOUT).setPayload(ByteString.copyFrom(payload))).build();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
