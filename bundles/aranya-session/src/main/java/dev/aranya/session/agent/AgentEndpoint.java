package dev.aranya.session.agent;

import dev.aranya.api.agent.HostStreams;
import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.Peripherals;
import dev.aranya.session.internal.AgentSession;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The agent's side of the protocol, the same over every transport. One endpoint makes any number of connections,
 * one after the other.
 */
public final class AgentEndpoint {
    private final AgentSettings settings;
    private final HostStreams host;
    private final Supplier<NodeInfo> nodeInfo;
    private final Supplier<NodeStatus> status;
    private final ScheduledExecutorService scheduler;
    private final BiConsumer<Peripherals, AgentConnection> peripherals;

    /**
     * @param settings  what the Hello announces
     * @param host      does the work of the streams Aranya opens
     * @param nodeInfo  the host's node info, read at each connect
     * @param status    the host's current status, read every status interval Aranya asks for (on the scheduler)
     * @param scheduler runs heartbeats, status reports and timeouts; owned by the caller
     */
    public AgentEndpoint(AgentSettings settings, HostStreams host, Supplier<NodeInfo> nodeInfo,
                         Supplier<NodeStatus> status, ScheduledExecutorService scheduler) {
        // without the peripherals capability Aranya sends no peripherals
        this(settings, host, nodeInfo, status, scheduler, (ignored, connection) -> { });
    }

    /**
     * An endpoint of an agent that drives peripherals: its settings announce {@code Capabilities.PERIPHERALS}.
     *
     * @param peripherals takes each set of peripherals Aranya sends with the connection it came on, on the endpoint's
     *                    threads: must not block; the agent answers on that connection with
     *                    {@link AgentConnection#updatePeripheralsStatus}
     */
    public AgentEndpoint(AgentSettings settings, HostStreams host, Supplier<NodeInfo> nodeInfo,
                         Supplier<NodeStatus> status, ScheduledExecutorService scheduler,
                         BiConsumer<Peripherals, AgentConnection> peripherals) {
        this.peripherals = Objects.requireNonNull(peripherals, "peripherals");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.host = Objects.requireNonNull(host, "host");
        this.nodeInfo = Objects.requireNonNull(nodeInfo, "nodeInfo");
        this.status = Objects.requireNonNull(status, "status");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    /**
     * Connects once over the link and completes the hello; blocks until Aranya answered or the hello timeout.
     *
     * @param link         the transport's client
     * @param linkSettings the link's settings (address, TLS material)
     * @return the established connection
     * @throws HelloRefusedException when Aranya refused the Hello
     * @throws IOException           when Aranya cannot be reached, or did not answer in time
     * @throws InterruptedException  when the calling thread was interrupted while waiting
     */
    public AgentConnection connect(CloudLink link, Map<String, String> linkSettings)
            throws IOException, InterruptedException {
        NodeInfo info = nodeInfo.get();
        AgentSession session = new AgentSession(settings, host, info, status, peripherals, scheduler);
        DeviceConnection connection = link.connect(linkSettings, session);
        session.start(connection);
        session.awaitEstablished();
        return session;
    }
}
