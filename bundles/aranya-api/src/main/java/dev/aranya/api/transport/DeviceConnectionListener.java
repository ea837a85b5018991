package dev.aranya.api.transport;

import org.osgi.annotation.versioning.ConsumerType;

/** Learns of the connections of a device's agent. */
@ConsumerType
public interface DeviceConnectionListener {
    /**
     * An agent connected and authenticated as the device.
     *
     * @return where the transport delivers the frames that arrive on this connection, in order
     */
    FrameHandler connected(DeviceConnection connection);
}
