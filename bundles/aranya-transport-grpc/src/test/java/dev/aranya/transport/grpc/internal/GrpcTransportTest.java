package dev.aranya.transport.grpc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.aranya.api.certs.DeviceIdentities;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Data;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Hello;
import dev.aranya.protocol.v1.HelloAck;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Aranya's gRPC transport and the agent's gRPC link over loopback mutual TLS. */
class GrpcTransportTest {
    @TempDir
    Path dir;
    private TestPki devices;
    private Path[] server;
    private GrpcDeviceTransport transport;
    private final Connections cloud = new Connections();

    @BeforeEach
    void setUp() throws Exception {
        devices = new TestPki(dir, "device-ca");
        server = devices.issue("server", "CN=aranya", "127.0.0.1");
    }

    @AfterEach
    void tearDown() {
        if (transport != null) {
            transport.deactivate();
        }
    }

    @Test
    void framesTravelBothWaysAndTheDeviceIsTheCertificates() throws Exception {
        start(1 << 20);
        Frames agentFrames = new Frames();
        DeviceConnection agent = new GrpcCloudLink().connect(agentSettings(devices.issue("dev-1", "O=edge, CN=dev-1", null)), agentFrames);
        assertThat(agent.device()).isEqualTo(new DeviceId("edge", "dev-1"));

        DeviceConnection connection = cloud.next();
        Frames cloudFrames = cloud.handlers.poll(10, TimeUnit.SECONDS);
        assertThat(connection.device()).isEqualTo(new DeviceId("edge", "dev-1"));
        assertThat(connection.method()).isEqualTo("grpc");

        agent.send(Frame.newBuilder().setConnectionId(7).setSequence(1)
                .setHello(Hello.newBuilder().setDeviceNamespace("edge").setDeviceName("dev-1")).build());
        assertThat(cloudFrames.next().getHello().getDeviceName()).isEqualTo("dev-1");
        connection.send(Frame.newBuilder().setConnectionId(7).setSequence(1)
                .setHelloAck(HelloAck.newBuilder().setProtocolVersion(1)).build());
        assertThat(agentFrames.next().getHelloAck().getProtocolVersion()).isEqualTo(1);

        agent.close("agent done");
        assertThat(cloudFrames.closed.get(5, TimeUnit.SECONDS)).isEqualTo("the agent ended its call");
    }

    @Test
    void wrongCredentialsAreRefused() throws Exception {
        start(1 << 20);
        TestPki stranger = new TestPki(dir, "other-ca");
        assertThatThrownBy(() -> new GrpcCloudLink().connect(
                agentSettings(stranger.issue("forged", "O=edge, CN=dev-1", null)), new Frames()))
                .isInstanceOf(IOException.class).hasMessageContaining("refused the connection: UNAVAILABLE");
        assertThatThrownBy(() -> new GrpcCloudLink().connect(
                agentSettings(devices.issue("dev-2", "O=edge, CN=dev-2", null)), new Frames()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("PERMISSION_DENIED (device edge/dev-2 is not served by this Aranya's grpc transport)");
        assertThatThrownBy(() -> new GrpcCloudLink().connect(
                agentSettings(devices.issue("anonymous", "CN=dev-1", null)), new Frames()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("O=<namespace>, CN=<EdgeDevice name>");
        assertThat(cloud.connections).isEmpty();
    }

    @Test
    void aVanishedAgentClosesItsConnection() throws Exception {
        start(1 << 20);
        Path[] identity = devices.issue("dev-1", "O=edge, CN=dev-1", null);
        // a bare client, so the test can drop the call without a half-close or a goodbye, as a dying process does
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", transport.port())
                .sslContext(GrpcSslContexts.forClient().keyManager(identity[0].toFile(), identity[1].toFile())
                        .trustManager(devices.caFile.toFile()).build())
                .build();
        ClientCall<Frame, Frame> call = channel.newCall(AgentLink.CONNECT, CallOptions.DEFAULT);
        call.start(new ClientCall.Listener<>() {
        }, new Metadata());
        call.sendMessage(Frame.newBuilder().setConnectionId(7).setSequence(1).setHello(Hello.getDefaultInstance()).build());
        Frames cloudFrames = cloud.handlers.poll(10, TimeUnit.SECONDS);
        cloudFrames.next();

        channel.shutdownNow();
        assertThat(cloudFrames.closed.get(5, TimeUnit.SECONDS)).contains("ended without a goodbye");
    }

    @Test
    void stoppingTheTransportEndsItsCallsWithAReason() throws Exception {
        start(1 << 20);
        Frames agentFrames = new Frames();
        new GrpcCloudLink().connect(agentSettings(devices.issue("dev-1", "O=edge, CN=dev-1", null)), agentFrames);
        Frames cloudFrames = cloud.handlers.poll(10, TimeUnit.SECONDS);
        int port = transport.port();
        transport.deactivate();
        transport = null;
        assertThat(cloudFrames.closed.get(5, TimeUnit.SECONDS)).isEqualTo("the gRPC transport is stopping");
        assertThat(agentFrames.closed.get(5, TimeUnit.SECONDS)).contains("the gRPC transport is stopping");
        try (java.net.ServerSocket again = new java.net.ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThat(again.getLocalPort()).as("the port is free again").isEqualTo(port);
        }
    }

    @Test
    void anOversizedMessageEndsTheCall() throws Exception {
        start(16 << 10);
        Frames agentFrames = new Frames();
        DeviceConnection agent = new GrpcCloudLink().connect(agentSettings(devices.issue("dev-1", "O=edge, CN=dev-1", null)), agentFrames);
        Frames cloudFrames = cloud.handlers.poll(10, TimeUnit.SECONDS);
        agent.send(Frame.newBuilder().setConnectionId(7).setSequence(1).setStreamId(1).setData(Data.newBuilder()
                .setChannel(Channel.CHANNEL_STDOUT).setPayload(ByteString.copyFrom(new byte[64 << 10]))).build());
        assertThat(cloudFrames.closed.get(5, TimeUnit.SECONDS)).contains("message above 16384 bytes");
        // gRPC resets the stream without telling the agent why; Aranya's log and its closed reason say it
        assertThat(agentFrames.closed.get(5, TimeUnit.SECONDS)).startsWith("the call ended: CANCELLED");
        assertThat(cloudFrames.frames).isEmpty();
    }

    @Test
    void withTheDeviceCaRevokingAConnectedDeviceEndsItsCallAndRefusesItsCertificate() throws Exception {
        RevocableDeviceCa deviceCa = new RevocableDeviceCa();
        start(1 << 20, "", deviceCa);
        DeviceId device = new DeviceId("edge", "dev-1");
        Path[] identity = devices.issue("dev-1", "O=edge, CN=dev-1", null);
        Frames agentFrames = new Frames();
        new GrpcCloudLink().connect(agentSettings(identity), agentFrames);
        Frames cloudFrames = cloud.handlers.poll(10, TimeUnit.SECONDS);
        assertThat(deviceCa.watches).containsOnlyKeys(device);

        deviceCa.revoke(device);

        assertThat(cloudFrames.closed.get(5, TimeUnit.SECONDS)).isEqualTo("device edge/dev-1 was revoked");
        assertThat(agentFrames.closed.get(5, TimeUnit.SECONDS)).contains("device edge/dev-1 was revoked");
        assertThatThrownBy(() -> new GrpcCloudLink().connect(agentSettings(identity), new Frames()))
                .isInstanceOf(IOException.class).hasMessageContaining("UNAUTHENTICATED")
                .hasMessageContaining("device edge/dev-1 is revoked");
    }

    @Test
    void withTheDeviceCaAnEndedCallStopsWatchingItsCertificate() throws Exception {
        RevocableDeviceCa deviceCa = new RevocableDeviceCa();
        start(1 << 20, "", deviceCa);
        DeviceConnection agent = new GrpcCloudLink().connect(agentSettings(devices.issue("dev-1", "O=edge, CN=dev-1", null)), new Frames());
        Frames cloudFrames = cloud.handlers.poll(10, TimeUnit.SECONDS);
        assertThat(deviceCa.watches).hasSize(1);

        agent.close("agent done");

        assertThat(cloudFrames.closed.get(5, TimeUnit.SECONDS)).isEqualTo("the agent ended its call");
        assertThat(deviceCa.watches).isEmpty();
    }

    private void start(int maxFrameSize) throws Exception {
        start(maxFrameSize, devices.caFile.toString(), null);
    }

    private void start(int maxFrameSize, String clientCa, DeviceIdentities deviceCa) throws Exception {
        transport = new GrpcDeviceTransport(config(maxFrameSize, clientCa));
        if (deviceCa != null) {
            transport.bindIdentities(deviceCa);
        }
        EdgeDevice device = new EdgeDevice();
        ObjectMeta metadata = new ObjectMeta();
        metadata.setNamespace("edge");
        metadata.setName("dev-1");
        device.setMetadata(metadata);
        transport.register(device, cloud);
    }

    private Map<String, String> agentSettings(Path[] identity) {
        Map<String, String> settings = new HashMap<>();
        settings.put("host", "127.0.0.1");
        settings.put("port", String.valueOf(transport.port()));
        settings.put("certificate", identity[0].toString());
        settings.put("key", identity[1].toString());
        settings.put("caCertificate", devices.caFile.toString());
        return settings;
    }

    private GrpcTransportConfig config(int maxFrameSize, String clientCa) {
        return new GrpcTransportConfig() {
            @Override public Class<? extends Annotation> annotationType() { return GrpcTransportConfig.class; }
            @Override public String bindAddress() { return "127.0.0.1"; }
            @Override public int port() { return 0; }
            @Override public String tlsCertificate() { return server[0].toString(); }
            @Override public String tlsKey() { return server[1].toString(); }
            @Override public String clientCa() { return clientCa; }
            @Override public int maxFrameSize() { return maxFrameSize; }
            @Override public int keepaliveTimeSeconds() { return 30; }
            @Override public int keepaliveTimeoutSeconds() { return 10; }
            @Override public int permitKeepaliveTimeSeconds() { return 10; }
        };
    }

    static final class Frames implements FrameHandler {
        final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();

        @Override public void onFrame(Frame frame) { frames.add(frame); }

        @Override public void onClosed(String reason) { closed.complete(reason); }

        Frame next() throws InterruptedException {
            Frame frame = frames.poll(10, TimeUnit.SECONDS);
            assertThat(frame).as("a frame within 10 s").isNotNull();
            return frame;
        }
    }

    /** The device CA of aranya-certs as far as the transport uses it: the test's CA, revocation told to connections. */
    private final class RevocableDeviceCa implements DeviceIdentities {
        final Set<DeviceId> revoked = ConcurrentHashMap.newKeySet();
        final Map<DeviceId, Consumer<String>> watches = new ConcurrentHashMap<>();

        void revoke(DeviceId device) {
            revoked.add(device);
            Consumer<String> watch = watches.remove(device);
            if (watch != null) {
                watch.accept("device " + device + " was revoked");
            }
        }

        @Override
        public List<X509Certificate> trustAnchors() {
            return List.of(devices.ca);
        }

        @Override
        public CompletionStage<DeviceId> authenticate(List<X509Certificate> chain) {
            DeviceId device = DeviceId.ofCertificateSubject(chain.get(0).getSubjectX500Principal()).orElseThrow();
            return revoked.contains(device)
                    ? CompletableFuture.failedFuture(new DeviceIdentityException("device " + device + " is revoked"))
                    : CompletableFuture.completedFuture(device);
        }

        @Override
        public Watch watchRevocation(DeviceId device, X509Certificate certificate, Consumer<String> revoked) {
            watches.put(device, revoked);
            return () -> watches.remove(device, revoked);
        }

        @Override
        public CompletionStage<BootstrapToken> createBootstrapToken(DeviceId device) {
            throw new UnsupportedOperationException("not used by the gRPC transport");
        }

        @Override
        public CompletionStage<List<X509Certificate>> enrol(DeviceId device, String token, byte[] certificationRequest) {
            throw new UnsupportedOperationException("not used by the gRPC transport");
        }

        @Override
        public CompletionStage<List<X509Certificate>> renew(List<X509Certificate> presented, byte[] certificationRequest) {
            throw new UnsupportedOperationException("not used by the gRPC transport");
        }
    }

    static final class Connections implements DeviceConnectionListener {
        final BlockingQueue<DeviceConnection> connections = new LinkedBlockingQueue<>();
        final BlockingQueue<Frames> handlers = new LinkedBlockingQueue<>();

        @Override
        public FrameHandler connected(DeviceConnection connection) {
            Frames handler = new Frames();
            connections.add(connection);
            handlers.add(handler);
            return handler;
        }

        DeviceConnection next() throws InterruptedException {
            DeviceConnection connection = connections.poll(10, TimeUnit.SECONDS);
            assertThat(connection).as("a connection within 10 s").isNotNull();
            return connection;
        }
    }
}
