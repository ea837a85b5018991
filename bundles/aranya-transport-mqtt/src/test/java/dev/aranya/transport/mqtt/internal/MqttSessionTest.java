package dev.aranya.transport.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.api.model.ConnectivitySpec;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.model.EdgeDeviceSpec;
import dev.aranya.api.model.MqttSpec;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.SessionListener;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.session.agent.AgentEndpoint;
import dev.aranya.session.agent.AgentSettings;
import dev.aranya.session.internal.SessionRegistry;
import dev.aranya.session.internal.SessionSettings;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session layer of both ends (hello, heartbeats, streams with flow control) over the MQTT transport and a real
 * Mosquitto whose packets are limited to 64 KiB, so every large frame travels in chunks.
 */
class MqttSessionTest {
    private static final DeviceId DEVICE = new DeviceId("edge", "mqtt-pi");
    private static final Duration HEARTBEAT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private Mosquitto broker;
    private MqttDeviceTransport transport;
    private SessionRegistry sessions;
    private final ScheduledExecutorService cloudScheduler = Executors.newScheduledThreadPool(1);
    private final ScheduledExecutorService agentScheduler = Executors.newScheduledThreadPool(1);
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @AfterEach
    void tearDown() throws Exception {
        if (transport != null) {
            transport.deactivate();
        }
        if (sessions != null) {
            sessions.stop();
        }
        cloudScheduler.shutdownNow();
        agentScheduler.shutdownNow();
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void anExecStreamCarriesThreeMebibytesBothWaysThroughTheBroker() throws Exception {
        start();
        connectAgent(broker.broker());
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        DeviceSession session = sessions.find(DEVICE).orElseThrow();
        assertThat(session.method()).isEqualTo("mqtt");
        assertThat(session.nodeInfo().getHostname()).isEqualTo(DEVICE.name());

        byte[] payload = new byte[3 << 20];
        new Random(11).nextBytes(payload);
        assertThat(catThrough(session, payload)).isEqualTo(payload);
    }

    @Test
    void aVanishedAgentsSessionGoesOfflineBeforeAnyHeartbeatTimeout() throws Exception {
        start();
        try (CutProxy proxy = new CutProxy(broker.port())) {
            connectAgent(proxy.address());
            assertThat(nextEvent()).isEqualTo("online " + DEVICE);
            long cut = System.nanoTime();
            proxy.cut();
            assertThat(nextEvent()).startsWith("offline " + DEVICE).contains("went offline");
            assertThat(Duration.ofNanos(System.nanoTime() - cut)).isLessThan(HEARTBEAT);
        }
    }

    private void start() throws Exception {
        broker = new Mosquitto(dir, 64 << 10, null, null);
        sessions = new SessionRegistry(new SessionSettings(HEARTBEAT, 3, Duration.ofSeconds(30), 256 << 10, 1 << 20, 8,
                Duration.ofSeconds(5), Duration.ofSeconds(1), "test"), cloudScheduler);
        sessions.watch(new SessionListener() {
            @Override
            public void online(DeviceSession session) {
                events.add("online " + session.device());
            }

            @Override
            public void offline(DeviceId device, String reason) {
                events.add("offline " + device + ": " + reason);
            }
        });
        transport = new MqttDeviceTransport((namespace, name) -> null, 1 << 20);
        EdgeDevice device = new EdgeDevice();
        device.setMetadata(new ObjectMetaBuilder().withNamespace(DEVICE.namespace()).withName(DEVICE.name()).build());
        device.setSpec(new EdgeDeviceSpec(new ConnectivitySpec("mqtt", null, null,
                new MqttSpec(broker.broker(), "aranya/" + DEVICE.name(), null, "5", null, null, null, null, null),
                null, null), null, null, null));
        transport.register(device, sessions.connectionListener());
    }

    /** Connects as the agent, retrying while Aranya's subscription is still on its way (as arhat retries). */
    private void connectAgent(String brokerAddress) throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put("broker", brokerAddress);
        config.put("topicNamespace", "aranya/" + DEVICE.name());
        config.put("version", "5");
        config.put("deviceNamespace", DEVICE.namespace());
        config.put("deviceName", DEVICE.name());
        AgentEndpoint endpoint = new AgentEndpoint(AgentSettings.defaults(DEVICE, "0.0.1-test", Set.of(Capabilities.EXEC)),
                new Cat(), () -> NodeInfo.newBuilder().setHostname(DEVICE.name()).build(), NodeStatus::getDefaultInstance,
                agentScheduler);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                endpoint.connect(new MqttCloudLink(), config);
                return;
            } catch (java.io.IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
            }
        }
    }

    private String nextEvent() throws InterruptedException {
        String event = events.poll(20, TimeUnit.SECONDS);
        assertThat(event).as("a session event").isNotNull();
        return event;
    }

    /** Runs {@code cat} on the device: writes the payload to its stdin and collects its stdout. */
    private static byte[] catThrough(DeviceSession session, byte[] payload) throws Exception {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        CompletableFuture<StreamEnd> ended = new CompletableFuture<>();
        ByteBuffer stdin = ByteBuffer.wrap(payload);
        DeviceStream[] stream = new DeviceStream[1];
        StreamListener listener = new StreamListener() {
            @Override
            public synchronized void onData(Channel channel, ByteBuffer data) {
                int size = data.remaining();
                byte[] bytes = new byte[size];
                data.get(bytes);
                received.writeBytes(bytes);
                stream[0].consumed(size);
            }

            @Override
            public synchronized void onWritable() {
                feed(stream[0], stdin);
            }

            @Override
            public void onEnd(StreamEnd end) {
                ended.complete(end);
            }
        };
        synchronized (listener) {
            stream[0] = session.open(Frame.newBuilder().setExec(Exec.newBuilder().addCommand("cat").setStdin(true)
                    .setStdout(true)).build(), listener);
            feed(stream[0], stdin);
        }
        StreamEnd end = ended.get(60, TimeUnit.SECONDS);
        assertThat(end.hasError()).as("stream error: " + end.getError().getMessage()).isFalse();
        synchronized (listener) {
            return received.toByteArray();
        }
    }

    private static void feed(DeviceStream stream, ByteBuffer data) {
        while (data.hasRemaining() && stream.write(Channel.CHANNEL_STDIN, data) > 0) {
            // the window limits each write; onWritable resumes
        }
        if (!data.hasRemaining()) {
            stream.halfClose(Channel.CHANNEL_STDIN);
        }
    }

    /** The device side of {@code cat}: stdin back on stdout, then exit 0 once stdin ended and all is sent. */
    private static final class Cat implements HostStreams {
        @Override
        public AgentStreamListener open(Frame opening, AgentStream stream) {
            stream.accept();
            return new AgentStreamListener() {
                private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
                private boolean stdinEnded;

                @Override
                public synchronized void onData(Channel channel, ByteBuffer data) {
                    ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data).flip();
                    pending.add(copy);
                    drain();
                }

                @Override
                public synchronized void onHalfClose(Channel channel) {
                    stdinEnded = true;
                    drain();
                }

                @Override
                public synchronized void onWritable() {
                    drain();
                }

                private void drain() {
                    while (!pending.isEmpty()) {
                        ByteBuffer head = pending.peek();
                        int taken = stream.write(Channel.CHANNEL_STDOUT, head);
                        if (taken > 0) {
                            stream.consumed(taken);
                        }
                        if (head.hasRemaining()) {
                            return;
                        }
                        pending.poll();
                    }
                    if (stdinEnded) {
                        stream.halfClose(Channel.CHANNEL_STDOUT);
                        stream.end(StreamEnd.newBuilder().setExitCode(0).build());
                    }
                }

                @Override
                public void onCancel(Cancel cancel) {
                    stream.end(StreamEnd.getDefaultInstance());
                }

                @Override
                public void onConnectionLost(String reason) {
                }
            };
        }
    }
}
