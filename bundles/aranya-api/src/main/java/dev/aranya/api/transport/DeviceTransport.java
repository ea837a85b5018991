package dev.aranya.api.transport;

import dev.aranya.api.model.EdgeDevice;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Aranya's side of one connectivity method. Registered as an OSGi service with {@link #METHOD_PROPERTY} set to
 * {@link #method()}.
 *
 * <p>A transport whose service goes away (its bundle stops or is updated) closes its devices' connections itself,
 * with a reason saying so: the controller does not call {@link #unregister} on a transport it no longer has, so
 * that an agent is told the transport stopped, not that its EdgeDevice was deleted.
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
