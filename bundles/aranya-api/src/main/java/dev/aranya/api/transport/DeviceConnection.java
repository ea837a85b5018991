package dev.aranya.api.transport;

import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.v1.Frame;
import org.osgi.annotation.versioning.ProviderType;

/** One live connection between Aranya and a device's agent, over one transport. */
@ProviderType
public interface DeviceConnection {
    /** The authenticated device. */
    DeviceId device();

    /** The connectivity method, as {@link DeviceTransport#method()}. */
    String method();

    /** A description of the peer for logs, such as its address; never secret material. */
    String peer();

    /**
     * The largest encoded frame this connection accepts from the peer (its decoder's limit); the session layer
     * announces it in the handshake so the peer never sends a frame the transport would refuse.
     */
    default int maxInboundFrameSize() {
        return ProtocolLimits.DEFAULT_MAX_FRAME_SIZE;
    }

    /**
     * Queues a frame for the agent. Frames are delivered in order.
     *
     * @return false if the connection is closed and the frame was dropped
     */
    boolean send(Frame frame);

    /** Closes the connection; the {@link FrameHandler} is told with this reason. Idempotent. */
    void close(String reason);
}
