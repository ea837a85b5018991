package dev.aranya.certs.internal;

import dev.aranya.api.host.HostAddresses;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A host whose identity the test sets, standing in for aranya-kube's HostAddresses. */
final class TestHost implements HostAddresses {
    private final List<Consumer<HostIdentity>> listeners = new CopyOnWriteArrayList<>();
    private volatile HostIdentity identity;

    TestHost(String hostname, String... addresses) {
        identity = identity(hostname, addresses);
    }

    @Override
    public HostIdentity current() {
        return identity;
    }

    @Override
    public AutoCloseable onChange(Consumer<HostIdentity> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    void change(String hostname, String... addresses) {
        identity = identity(hostname, addresses);
        listeners.forEach(listener -> listener.accept(identity));
    }

    private static HostIdentity identity(String hostname, String... addresses) {
        return new HostIdentity(hostname, Arrays.stream(addresses).map(address -> {
            try {
                return InetAddress.getByName(address);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(address, e);
            }
        }).toList());
    }
}
