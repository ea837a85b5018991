package dev.aranya.transport.grpc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.SessionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.session.agent.AgentConnection;
import dev.aranya.session.agent.AgentEndpoint;
import dev.aranya.session.agent.AgentSettings;
import dev.aranya.session.agent.Disconnect;
import dev.aranya.session.internal.SessionRegistry;
import dev.aranya.session.internal.SessionSettings;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session layer of both ends over the gRPC transport on loopback mutual TLS: hello, node info, goodbye. */
class GrpcSessionTest {
    private static final DeviceId DEVICE = new DeviceId("edge", "grpc-pi");

    @TempDir
    Path dir;
    private GrpcDeviceTransport transport;
    private SessionRegistry sessions;
    private final ScheduledExecutorService cloudScheduler = Executors.newScheduledThreadPool(1);
    private final ScheduledExecutorService agentScheduler = Executors.newScheduledThreadPool(1);
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @AfterEach
    void tearDown() {
        if (transport != null) {
            transport.deactivate();
        }
        if (sessions != null) {
            sessions.stop();
        }
        cloudScheduler.shutdownNow();
        agentScheduler.shutdownNow();
    }

    @Test
    void theAgentComesOnlineAndAranyasGoodbyeEndsItsConnection() throws Exception {
        TestPki pki = new TestPki(dir, "device-ca");
        Path[] server = pki.issue("server", "CN=aranya", "127.0.0.1");
        Path[] device = pki.issue("device", "O=edge, CN=grpc-pi", null);
        transport = new GrpcDeviceTransport(new GrpcTransportConfig() {
            @Override public Class<? extends Annotation> annotationType() { return GrpcTransportConfig.class; }
            @Override public String bindAddress() { return "127.0.0.1"; }
            @Override public int port() { return 0; }
            @Override public String tlsCertificate() { return server[0].toString(); }
            @Override public String tlsKey() { return server[1].toString(); }
            @Override public String clientCa() { return pki.caFile.toString(); }
            @Override public int maxFrameSize() { return 1 << 20; }
            @Override public int keepaliveTimeSeconds() { return 30; }
            @Override public int keepaliveTimeoutSeconds() { return 10; }
            @Override public int permitKeepaliveTimeSeconds() { return 10; }
        });
        sessions = new SessionRegistry(SessionSettings.defaults("test"), cloudScheduler);
        sessions.watch(new SessionListener() {
            @Override
            public void online(DeviceSession session) {
                events.add("online " + session.device() + " over " + session.method());
            }

            @Override
            public void offline(DeviceId id, String reason) {
                events.add("offline " + id + ": " + reason);
            }
        });
        EdgeDevice edgeDevice = new EdgeDevice();
        edgeDevice.setMetadata(new ObjectMetaBuilder().withNamespace(DEVICE.namespace()).withName(DEVICE.name()).build());
        transport.register(edgeDevice, sessions.connectionListener());

        AgentEndpoint endpoint = new AgentEndpoint(AgentSettings.defaults(DEVICE, "0.0.1-test", Set.of(Capabilities.EXEC)),
                new NoStreams(), () -> NodeInfo.newBuilder().setHostname("grpc-pi").build(),
                NodeStatus::getDefaultInstance, agentScheduler);
        AgentConnection agent = endpoint.connect(new GrpcCloudLink(), Map.of("host", "127.0.0.1",
                "port", String.valueOf(transport.port()), "certificate", device[0].toString(), "key", device[1].toString(),
                "caCertificate", pki.caFile.toString()));
        assertThat(nextEvent()).isEqualTo("online " + DEVICE + " over grpc");
        assertThat(sessions.find(DEVICE).orElseThrow().nodeInfo().getHostname()).isEqualTo("grpc-pi");

        sessions.disconnect(DEVICE, "the EdgeDevice was deleted");
        assertThat(nextEvent()).startsWith("offline " + DEVICE).contains("the EdgeDevice was deleted");
        Disconnect disconnect = agent.disconnected().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(disconnect.goodbye()).isEqualTo(GoodbyeReason.GOODBYE_REASON_DEVICE_REMOVED);
    }

    private String nextEvent() throws InterruptedException {
        String event = events.poll(10, TimeUnit.SECONDS);
        assertThat(event).as("a session event").isNotNull();
        return event;
    }

    /** An agent host that is never asked for a stream here. */
    private static final class NoStreams implements HostStreams {
        @Override
        public AgentStreamListener open(Frame opening, AgentStream stream) {
            throw new AssertionError("no stream expected");
        }
    }
}
