package dev.aranya.api.transport;

import dev.aranya.protocol.v1.Frame;
import org.osgi.annotation.versioning.ConsumerType;

/** Receives the frames of one connection, in the order the peer sent them, without duplicates. */
@ConsumerType
public interface FrameHandler {
    /** A frame arrived. Must not block: hand long work to another thread. */
    void onFrame(Frame frame);

    /**
     * The connection ended. Called once; no frame follows.
     *
     * @param reason why, for logs and the device's status (never secret material)
     */
    void onClosed(String reason);
}
