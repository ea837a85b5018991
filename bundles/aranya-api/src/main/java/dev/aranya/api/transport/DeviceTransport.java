package dev.aranya.api.transport;

import dev.aranya.api.model.EdgeDevice;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Aranya's side of one connectivity method. Registered as an OSGi service with {@link #METHOD_PROPERTY} set to
 * {@link #method()}.
 */
@ProviderType
public interface DeviceTransport {
    /** Service property naming the connectivity method, e.g. {@code (aranya.transport.method=mqtt)}. */
    String METHOD_PROPERTY = "aranya.transport.method";

    /** The {@code spec.connectivity.method} this transport serves. */
    String method();

    /**
     * Starts serving a device: from now on its agent may connect (an MQTT transport subscribes to the device's
     * topics, a server transport accepts the device's identity). Called again when the EdgeDevice changes.
     *
     * @param device   the EdgeDevice, whose {@code spec.connectivity.method} is {@link #method()}
     * @param listener told of each connection of the device's agent
     * @throws IllegalArgumentException with a message for the user when the device's settings are unusable
     */
    void register(EdgeDevice device, DeviceConnectionListener listener);

    /** Stops serving a device and closes its connection, if any. Does nothing for an unknown device. */
    void unregister(DeviceId device);
}
