package dev.aranya.api.transport;

import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The agent's side of one connectivity method: it dials out to Aranya (or to a broker), so the device needs no
 * open port. Registered as an OSGi service with {@link DeviceTransport#METHOD_PROPERTY} set to {@link #method()}.
 */
@ProviderType
public interface CloudLink {
    /** The connectivity method this link speaks. */
    String method();

    /**
     * Connects once. The agent retries with backoff when this fails or the connection later ends.
     *
     * @param settings the agent's configuration of this method (addresses, TLS material paths, topics)
     * @param handler  receives Aranya's frames
     * @return the open connection, whose {@link DeviceConnection#device()} is the agent's own identity
     * @throws java.io.IOException when Aranya cannot be reached or refuses the device
     */
    DeviceConnection connect(Map<String, String> settings, FrameHandler handler) throws java.io.IOException;
}
