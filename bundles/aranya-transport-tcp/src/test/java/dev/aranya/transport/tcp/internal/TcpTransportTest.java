package dev.aranya.transport.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.SessionListener;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.FrameCodec;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.ProtocolVersion;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Hello;
import dev.aranya.protocol.v1.Ping;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.PortForward;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.session.agent.AgentConnection;
import dev.aranya.session.agent.AgentEndpoint;
import dev.aranya.session.agent.AgentSettings;
import dev.aranya.session.agent.HelloRefusedException;
import dev.aranya.session.internal.SessionRegistry;
import dev.aranya.session.internal.SessionSettings;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
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
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TCP link and the TCP transport on loopback with real TLS, with the session layer on both ends. */
class TcpTransportTest {
    static final DeviceId DEVICE = new DeviceId("edge", "tcp-pi");
    static final DeviceId RAW_DEVICE = new DeviceId("edge", "tcp-raw");
    static final int STREAM_WINDOW = 128 << 10;

    @TempDir
    Path folder;
    TestPki pki;
    TestPki.Issued serverCa;
    TestPki.Issued deviceCa;
    TestPki.Issued deviceCert;
    TcpDeviceTransport transport;
    TcpCloudLink link;
    SessionRegistry sessions;
    final ScheduledExecutorService cloudScheduler = Executors.newScheduledThreadPool(1);
    final ScheduledExecutorService agentScheduler = Executors.newScheduledThreadPool(1);
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(folder);
        serverCa = pki.ca("aranya-server-ca");
        deviceCa = pki.ca("aranya-device-ca");
        deviceCert = pki.device(deviceCa, DEVICE.namespace(), DEVICE.name());
        TestPki.Issued server = pki.server(serverCa, "localhost");
        transport = new TcpDeviceTransport(new TcpServerSettings("127.0.0.1", 0, server.certificateFile(),
                server.keyFile(), java.util.Optional.of(deviceCa.certificateFile()), 64 << 10, 1));
        sessions = new SessionRegistry(new SessionSettings(Duration.ofSeconds(1), 5, Duration.ofSeconds(30), STREAM_WINDOW,
                1 << 20, 8, Duration.ofSeconds(5), Duration.ofSeconds(1), "test"), cloudScheduler);
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
        transport.register(edgeDevice(DEVICE), sessions.connectionListener());
        transport.register(edgeDevice(RAW_DEVICE), sessions.connectionListener());
        link = new TcpCloudLink();
    }

    @AfterEach
    void stop() {
        link.stop();
        transport.stop();
        sessions.stop();
        agentScheduler.shutdownNow();
    }

    static EdgeDevice edgeDevice(DeviceId id) {
        EdgeDevice device = new EdgeDevice();
        device.setMetadata(new ObjectMetaBuilder().withNamespace(id.namespace()).withName(id.name()).build());
        return device;
    }

    Map<String, String> linkSettings(TestPki.Issued certificate) {
        InetSocketAddress address = transport.localAddress();
        Map<String, String> settings = new HashMap<>();
        settings.put("host", "localhost");
        settings.put("port", String.valueOf(address.getPort()));
        settings.put("certificate", certificate.certificateFile().toString());
        settings.put("key", certificate.keyFile().toString());
        settings.put("caCertificate", serverCa.certificateFile().toString());
        return settings;
    }

    AgentConnection connect(DeviceId device, TestPki.Issued certificate, CloudLink over) throws Exception {
        return connect(device, certificate, over, new EchoPort());
    }

    AgentConnection connect(DeviceId device, TestPki.Issued certificate, CloudLink over, HostStreams host) throws Exception {
        AgentEndpoint endpoint = new AgentEndpoint(AgentSettings.defaults(device, "0.0.1-test",
                Set.of(Capabilities.PORT_FORWARD, Capabilities.EXEC)), host,
                () -> NodeInfo.newBuilder().setHostname(device.name()).build(), NodeStatus::getDefaultInstance, agentScheduler);
        return endpoint.connect(over, linkSettings(certificate));
    }

    String nextEvent() throws InterruptedException {
        String event = events.poll(5, TimeUnit.SECONDS);
        assertThat(event).as("a session event").isNotNull();
        return event;
    }

    @Test
    void anAgentConnectsOverMutualTlsAndAStreamCarriesDataBothWays() throws Exception {
        connect(DEVICE, deviceCert, link);
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        DeviceSession session = sessions.find(DEVICE).orElseThrow();
        assertThat(session.method()).isEqualTo("tcp");
        assertThat(session.nodeInfo().getHostname()).isEqualTo("tcp-pi");

        byte[] payload = new byte[3 << 20];
        new Random(7).nextBytes(payload);
        byte[] echoed = roundTrip(session, payload);

        assertThat(echoed).isEqualTo(payload);
    }

    /** Sends the payload through a port-forward stream to the echoing agent and collects the answer. */
    static byte[] roundTrip(DeviceSession session, byte[] payload) throws Exception {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        CompletableFuture<Void> complete = new CompletableFuture<>();
        ByteBuffer toSend = ByteBuffer.wrap(payload);
        DeviceStream[] stream = new DeviceStream[1];
        StreamListener listener = new StreamListener() {
            @Override
            public synchronized void onData(Channel channel, ByteBuffer data) {
                int size = data.remaining();
                byte[] bytes = new byte[size];
                data.get(bytes);
                received.writeBytes(bytes);
                stream[0].consumed(size);
                if (received.size() == payload.length) {
                    complete.complete(null);
                }
            }

            @Override
            public synchronized void onWritable() {
                pump(stream[0], toSend);
            }

            @Override
            public void onEnd(StreamEnd end) {
                complete.completeExceptionally(new AssertionError("stream ended early: " + end));
            }
        };
        synchronized (listener) {
            stream[0] = session.open(Frame.newBuilder().setPortForward(PortForward.newBuilder().setPort(8080)
                    .setProtocol(PortForward.Protocol.PROTOCOL_TCP)).build(), listener);
            pump(stream[0], toSend);
        }
        complete.get(20, TimeUnit.SECONDS);
        stream[0].cancel("done");
        return received.toByteArray();
    }

    private static void pump(DeviceStream stream, ByteBuffer data) {
        while (data.hasRemaining() && stream.write(Channel.CHANNEL_PORT_DATA, data) > 0) {
            // the window limits each write; onWritable resumes
        }
    }

    @Test
    void aGibibyteOfferedToAStalledReaderStopsAtOneWindowWithHeapBounded() throws Exception {
        FloodHost flood = new FloodHost(1L << 30, 64 << 10);
        connect(DEVICE, deviceCert, link, flood);
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        long heapBefore = usedHeap();

        AtomicLong received = new AtomicLong();
        DeviceStream stream = sessions.find(DEVICE).orElseThrow().open(Frame.newBuilder().setExec(Exec.newBuilder()
                .addCommand("cat").addCommand("/dev/zero").setStdout(true)).build(), new StreamListener() {
                    @Override
                    public void onData(Channel channel, ByteBuffer data) {
                        received.addAndGet(data.remaining()); // never consumed: the kubectl client stalled
                    }

                    @Override
                    public void onEnd(StreamEnd end) {
                    }
                });
        stream.accepted().toCompletableFuture().get(5, TimeUnit.SECONDS);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (received.get() < STREAM_WINDOW && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        Thread.sleep(500); // time for anything beyond the window to arrive, if the agent sent it

        assertThat(flood.sent.get()).as("bytes the agent could send").isEqualTo(STREAM_WINDOW);
        assertThat(received.get()).isEqualTo(STREAM_WINDOW);
        assertThat(flood.shortWrites.get()).isPositive();
        assertThat(usedHeap() - heapBefore).as("heap growth").isLessThan(32L << 20);
        stream.cancel("client gone");
        assertThat(stream.ended().toCompletableFuture().get(5, TimeUnit.SECONDS).getExitCode()).isEqualTo(143);
    }

    private static long usedHeap() throws InterruptedException {
        Runtime runtime = Runtime.getRuntime();
        System.gc();
        Thread.sleep(100);
        return runtime.totalMemory() - runtime.freeMemory();
    }

    @Test
    void aCertificateFromAnUntrustedCaIsRefused() throws Exception {
        TestPki.Issued rogue = pki.device(pki.ca("rogue-ca"), DEVICE.namespace(), DEVICE.name());

        assertThatThrownBy(() -> connect(DEVICE, rogue, link)).isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(e).hasMessageFindingMatch("(?i)certificate|handshake|closed"));
        assertThat(events.poll(300, TimeUnit.MILLISECONDS)).isNull();
        assertThat(sessions.find(DEVICE)).isEmpty();
    }

    @Test
    void aDeviceThatIsNotRegisteredIsToldSo() throws Exception {
        DeviceId stranger = new DeviceId("edge", "tcp-stranger");
        TestPki.Issued certificate = pki.device(deviceCa, stranger.namespace(), stranger.name());

        assertThatThrownBy(() -> connect(stranger, certificate, link))
                .isInstanceOfSatisfying(HelloRefusedException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_NOT_FOUND))
                .hasMessageContaining("edge/tcp-stranger is not an EdgeDevice served over tcp");
    }

    @Test
    void unregisterClosesTheDevicesConnection() throws Exception {
        AgentConnection connection = connect(DEVICE, deviceCert, link);
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);

        transport.unregister(DEVICE);

        assertThat(nextEvent()).startsWith("offline " + DEVICE).contains("no longer served over tcp");
        connection.disconnected().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void anOversizedOrGarbageFrameClosesOnlyThatConnection() throws Exception {
        connect(DEVICE, deviceCert, link);
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        TestPki.Issued rawCertificate = pki.device(deviceCa, RAW_DEVICE.namespace(), RAW_DEVICE.name());

        // a length prefix above the 64 KiB limit, then garbage that is not a Frame
        for (byte[] hostile : new byte[][] {{0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3},
                {0, 0, 0, 4, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}}) {
            try (SSLSocket socket = rawSocket(rawCertificate)) {
                socket.getOutputStream().write(hostile);
                socket.getOutputStream().flush();
                assertThat(readToEnd(socket.getInputStream())).as("server closed the hostile connection").isTrue();
            }
        }

        DeviceSession session = sessions.find(DEVICE).orElseThrow();
        assertThat(roundTrip(session, "still here".getBytes())).isEqualTo("still here".getBytes());
    }

    @Test
    void anAgentThatStopsReadingIsDisconnectedBeforeAranyaBuffersWithoutLimit() throws Exception {
        TestPki.Issued rawCertificate = pki.device(deviceCa, RAW_DEVICE.namespace(), RAW_DEVICE.name());
        try (SSLSocket socket = rawSocket(rawCertificate)) {
            // an agent that grants a huge window, then never reads a byte
            long connection = 0x77;
            socket.getOutputStream().write(FrameCodec.encode(Frame.newBuilder().setConnectionId(connection).setSequence(1)
                    .setHello(Hello.newBuilder().setDeviceNamespace(RAW_DEVICE.namespace()).setDeviceName(RAW_DEVICE.name())
                            .setProtocolVersion(ProtocolVersion.CURRENT).addCapabilities(Capabilities.PORT_FORWARD)
                            .setInitialStreamWindow(ProtocolLimits.MAX_WINDOW)).build(), ProtocolLimits.DEFAULT_MAX_FRAME_SIZE));
            socket.getOutputStream().write(FrameCodec.encode(Frame.newBuilder().setConnectionId(connection).setSequence(2)
                    .setNodeInfo(NodeInfo.newBuilder().setHostname("deaf")).build(), ProtocolLimits.DEFAULT_MAX_FRAME_SIZE));
            socket.getOutputStream().flush();
            assertThat(nextEvent()).isEqualTo("online " + RAW_DEVICE);
            Thread pinger = new Thread(() -> { // it keeps talking, so it is alive
                try {
                    for (long sequence = 3; !Thread.currentThread().isInterrupted(); sequence++) {
                        socket.getOutputStream().write(FrameCodec.encode(Frame.newBuilder().setConnectionId(connection)
                                .setSequence(sequence).setPing(Ping.getDefaultInstance()).build(), ProtocolLimits.DEFAULT_MAX_FRAME_SIZE));
                        Thread.sleep(50);
                    }
                } catch (IOException | InterruptedException | dev.aranya.protocol.ProtocolException closed) {
                    // the test is over, or Aranya closed the connection
                }
            });
            pinger.start();

            DeviceStream stream = sessions.find(RAW_DEVICE).orElseThrow().open(Frame.newBuilder().setPortForward(
                    PortForward.newBuilder().setPort(80).setProtocol(PortForward.Protocol.PROTOCOL_TCP)).build(),
                    new StreamListener() {
                        @Override
                        public void onData(Channel channel, ByteBuffer data) {
                        }

                        @Override
                        public void onEnd(StreamEnd end) {
                        }
                    });
            ByteBuffer megabyte = ByteBuffer.allocate(1 << 20);
            for (int i = 0; i < 256 && stream.writable(); i++) {
                megabyte.clear();
                stream.write(Channel.CHANNEL_PORT_DATA, megabyte);
            }

            assertThat(nextEvent()).startsWith("offline " + RAW_DEVICE).contains("the peer does not read");
            assertThat(stream.ended().toCompletableFuture().get(5, TimeUnit.SECONDS).getError().getCode())
                    .isEqualTo(ErrorCode.ERROR_CODE_UNAVAILABLE);
            pinger.interrupt();
        }
    }

    private SSLSocket rawSocket(TestPki.Issued certificate) throws Exception {
        SSLSocket socket = (SSLSocket) certificate.clientContext(serverCa).getSocketFactory()
                .createSocket("127.0.0.1", transport.localAddress().getPort());
        socket.setSoTimeout(5000);
        socket.startHandshake();
        return socket;
    }

    private static boolean readToEnd(InputStream in) {
        try {
            while (in.read() >= 0) {
                // whatever the server says before closing
            }
            return true;
        } catch (IOException closed) {
            return !(closed instanceof java.net.SocketTimeoutException);
        }
    }

    @Test
    void killingTheAgentsLinkTakesTheSessionOffline() throws Exception {
        CapturingLink capturing = new CapturingLink(link);
        connect(DEVICE, deviceCert, capturing);
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);

        capturing.connection.close("agent killed");

        assertThat(nextEvent()).startsWith("offline " + DEVICE);
        assertThat(sessions.find(DEVICE)).isEmpty();
    }

    /** Lets the test reach the agent's transport connection. */
    static final class CapturingLink implements CloudLink {
        final CloudLink link;
        volatile DeviceConnection connection;

        CapturingLink(CloudLink link) {
            this.link = link;
        }

        @Override
        public String method() {
            return link.method();
        }

        @Override
        public DeviceConnection connect(Map<String, String> settings, FrameHandler handler) throws IOException {
            connection = link.connect(settings, handler);
            return connection;
        }
    }

    /** The agent's host for port-forward: echoes what arrives, as the window allows. */
    static final class EchoPort implements HostStreams {
        @Override
        public AgentStreamListener open(Frame opening, AgentStream stream) {
            stream.accept();
            return new AgentStreamListener() {
                private final java.util.ArrayDeque<ByteBuffer> pending = new java.util.ArrayDeque<>();

                @Override
                public synchronized void onData(Channel channel, ByteBuffer data) {
                    pending.add(data);
                    drain();
                }

                @Override
                public synchronized void onWritable() {
                    drain();
                }

                private void drain() {
                    while (!pending.isEmpty()) {
                        ByteBuffer head = pending.peek();
                        int taken = stream.write(Channel.CHANNEL_PORT_DATA, head);
                        if (taken > 0) {
                            stream.consumed(taken);
                        }
                        if (head.hasRemaining()) {
                            return;
                        }
                        pending.poll();
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
