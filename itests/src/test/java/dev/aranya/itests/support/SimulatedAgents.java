package dev.aranya.itests.support;

import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.session.agent.AgentConnection;
import dev.aranya.session.agent.AgentEndpoint;
import dev.aranya.session.agent.AgentSettings;
import dev.aranya.transport.grpc.internal.GrpcCloudLink;
import dev.aranya.transport.mqtt.internal.MqttCloudLink;
import dev.aranya.transport.tcp.internal.TcpCloudLink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Many agents in this JVM: for each device identity an {@link AgentEndpoint} (the agent's real session layer: hello,
 * heartbeats, status reports) connected through the method's real {@link CloudLink}, the same classes the arhat
 * distribution runs. They announce no capability and refuse any stream: they stand for connected devices, not for
 * work on them. One link object per method serves all connections, as each link supports.
 */
public final class SimulatedAgents implements AutoCloseable {
    private static final NodeInfo NODE = NodeInfo.newBuilder().setHostname("simulated").setOs("linux")
            .setArchitecture("arm64").setOsImage("Debian GNU/Linux 12 (bookworm)").setKernelVersion("6.1.0-18-arm64")
            .setCpus(4).setMemoryBytes(4L << 30).setDiskBytes(32L << 30).setMachineId("0123456789abcdef")
            .setBootId("boot-1").setAgentVersion("0.1.0-simulated").build();
    private static final HostStreams REFUSE = (opening, stream) -> {
        stream.end(StreamEnd.newBuilder().setError(ErrorInfo.newBuilder().setMessage("a simulated agent runs nothing"))
                .build());
        return new AgentStreamListener() {
            @Override
            public void onData(Channel channel, ByteBuffer data) {
            }

            @Override
            public void onCancel(Cancel cancel) {
            }

            @Override
            public void onConnectionLost(String reason) {
            }
        };
    };

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, daemon("simulated-agents"));
    private final Map<String, CloudLink> links = Map.of("tcp", new TcpCloudLink(), "grpc", new GrpcCloudLink(),
            "mqtt", new MqttCloudLink());
    private final List<AgentConnection> connections = new ArrayList<>();

    /** One agent to connect: the device, its method, the link's settings (see {@link AranyaTransports#linkSettings}). */
    public record Agent(DeviceId device, String method, Map<String, String> linkSettings) {
    }

    /**
     * Connects the agents, {@code parallel} at a time; returns once every hello was answered, or fails with the
     * first agent's error.
     */
    public void connect(List<Agent> agents, int parallel) throws Exception {
        ExecutorService connectors = Executors.newFixedThreadPool(parallel, daemon("simulated-agent-connect"));
        try {
            List<Future<AgentConnection>> pending = new ArrayList<>();
            for (Agent agent : agents) {
                pending.add(connectors.submit(() -> connect(agent)));
            }
            for (Future<AgentConnection> connection : pending) {
                AgentConnection connected = connection.get(5, TimeUnit.MINUTES);
                synchronized (connections) {
                    connections.add(connected);
                }
            }
        } finally {
            connectors.shutdownNow();
        }
    }

    /** Connects one agent; retried for a minute, as the agent does, while Aranya has not admitted the device yet. */
    private AgentConnection connect(Agent agent) throws Exception {
        AgentEndpoint endpoint = new AgentEndpoint(AgentSettings.defaults(agent.device(), "0.1.0-simulated", Set.of()),
                REFUSE, () -> NODE, NodeStatus::getDefaultInstance, scheduler);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            try {
                return endpoint.connect(links.get(agent.method()), withIdentity(agent));
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException(agent.device() + " over " + agent.method() + ": " + e.getMessage(), e);
                }
                Thread.sleep(500);
            }
        }
    }

    public int connected() {
        synchronized (connections) {
            return connections.size();
        }
    }

    /** Closes every connection (the agents say goodbye). */
    @Override
    public void close() {
        synchronized (connections) {
            connections.forEach(connection -> connection.close("the simulation ends"));
            connections.clear();
        }
        scheduler.shutdownNow();
    }

    /** The agent distribution passes its identity to every link (the MQTT link needs it; the others ignore it). */
    private static Map<String, String> withIdentity(Agent agent) {
        Map<String, String> settings = new java.util.HashMap<>(agent.linkSettings());
        settings.put("deviceNamespace", agent.device().namespace());
        settings.put("deviceName", agent.device().name());
        return settings;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
