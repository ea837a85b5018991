package dev.aranya.api.session;

import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.PeripheralsStatus;
import org.osgi.annotation.versioning.ConsumerType;

/** Learns of sessions coming and going. Called from the session layer's threads: must not block. */
@ConsumerType
public interface SessionListener {
    /** The device's agent completed the hello; {@link DeviceSession#nodeInfo()} is known. */
    void online(DeviceSession session);

    /**
     * The device's session ended (agent gone, heartbeats missed, transport stopped, replaced by a newer connection
     * of the same device: then {@link #online} for the new one follows).
     *
     * @param reason for conditions, Events and logs; never secret material
     */
    void offline(DeviceId device, String reason);

    /** The agent reported its periodic status. */
    default void statusReported(DeviceSession session, NodeStatus status) {
    }

    /** The agent reported the state of its peripherals (after each {@link DeviceSession#updatePeripherals}, and on changes). */
    default void peripheralsReported(DeviceSession session, PeripheralsStatus status) {
    }
}
