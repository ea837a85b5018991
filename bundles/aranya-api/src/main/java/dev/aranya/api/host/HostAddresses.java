package dev.aranya.api.host;

import java.net.InetAddress;
import java.util.List;
import java.util.function.Consumer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The Aranya host's hostname and addresses (Aranya runs with host network, so its devices' Nodes are reached
 * there). Nodes list them as addresses; serving certificates carry them as SANs. A change is reported, so that
 * certificates are reissued and Nodes updated instead of connectivity silently breaking.
 */
@ProviderType
public interface HostAddresses {
    /** The current identity. */
    HostIdentity current();

    /**
     * Calls the listener whenever the identity changes.
     *
     * @return call to stop listening
     */
    AutoCloseable onChange(Consumer<HostIdentity> listener);

    /**
     * @param hostname  the host's name (configured, or the system's)
     * @param addresses its addresses, the preferred one first; never empty
     */
    record HostIdentity(String hostname, List<InetAddress> addresses) {
        public HostIdentity {
            addresses = List.copyOf(addresses);
            if (hostname == null || hostname.isBlank() || addresses.isEmpty()) {
                throw new IllegalArgumentException("a host identity needs a hostname and at least one address");
            }
        }
    }
}
