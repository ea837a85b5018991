package dev.aranya.api.session;

import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.Peripherals;
import dev.aranya.protocol.v1.PeripheralsStatus;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.osgi.annotation.versioning.ProviderType;

/** One device's agent, connected and past the hello, over one transport. */
@ProviderType
public interface DeviceSession {
    DeviceId device();

    /** The connectivity method the agent is connected over. */
    String method();

    /** The peer's description from the transport (an address or broker client id), for logs. */
    String peer();

    /** The agent's version from its hello. */
    String agentVersion();

    /** The optional protocol features the agent announced (see {@code dev.aranya.protocol.Capabilities}). */
    Set<String> capabilities();

    Instant connectedAt();

    /** When the last frame of any kind arrived from the agent. */
    Instant lastSeen();

    /** What the agent reported of its host in the hello. */
    NodeInfo nodeInfo();

    /** The agent's latest periodic status, if it sent one yet. */
    Optional<NodeStatus> lastStatus();

    /**
     * Gives the agent the device's peripherals (its EdgeDevice's {@code spec.peripherals}), if it announced the
     * {@code peripherals} capability and they differ from what this session last sent; otherwise does nothing.
     * The agent answers with its peripherals' state ({@link #peripheralsStatus()}).
     */
    default void updatePeripherals(Peripherals peripherals) {
    }

    /** The state of the peripherals the agent last reported, if it reported any on this session. */
    default Optional<PeripheralsStatus> peripheralsStatus() {
        return Optional.empty();
    }

    /** Streams currently open on this session. */
    int openStreams();

    /**
     * Opens a stream on the device.
     *
     * @param opening  a frame whose body is {@code exec}, {@code attach}, {@code logs} or {@code port_forward};
     *                 its stream id, sequence and connection id are assigned by the session
     * @param listener receives the stream's data and its end, on the session's threads; must not block
     * @return the stream; if the session is gone or the limit of concurrent streams is reached, a stream that has
     *         already ended with an error (the listener is told)
     * @throws IllegalArgumentException if the frame's body does not open a stream
     */
    DeviceStream open(Frame opening, StreamListener listener);

    /** Ends the session, telling the agent why. */
    void close(String reason);
}
