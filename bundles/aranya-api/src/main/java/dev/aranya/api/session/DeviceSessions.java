package dev.aranya.api.session;

import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import java.util.Collection;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The registry of live device sessions (one OSGi service). Transports hand it the connections they accept, through
 * {@link #connectionListener()}; it runs the protocol's hello, heartbeats and stream multiplexing on them.
 */
@ProviderType
public interface DeviceSessions {
    /** Where a transport reports the connections of devices; give it to {@code DeviceTransport.register}. */
    DeviceConnectionListener connectionListener();

    /** The device's live session, if its agent is connected. */
    Optional<DeviceSession> find(DeviceId device);

    /** All live sessions, in no particular order. */
    Collection<DeviceSession> all();

    /**
     * Tells the listener of every session that comes online or goes offline from now on. Sessions already online
     * are reported to it first.
     *
     * @return call to stop listening
     */
    AutoCloseable watch(SessionListener listener);

    /** Ends the device's session, if any, telling the agent why (for example when its EdgeDevice was deleted). */
    void disconnect(DeviceId device, String reason);
}
