package dev.aranya.kube.internal;

import dev.aranya.api.host.HostAddresses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Aranya host's identity: configured, or discovered from the system and re-checked periodically so that an
 * address change reissues certificates and updates Nodes instead of silently breaking the apiserver's connections.
 */
@Component(configurationPid = HostAddressesConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = HostAddressesConfig.class)
public final class HostAddressesComponent implements HostAddresses {
    private static final Logger LOG = LoggerFactory.getLogger(HostAddressesComponent.class);

    private final Supplier<HostIdentity> source;
    private final List<Consumer<HostIdentity>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService checker;
    private volatile HostIdentity current;

    @Activate
    public HostAddressesComponent(HostAddressesConfig config) {
        this(() -> identity(config, HostAddressesComponent::systemHostname, HostAddressesComponent::interfaceAddresses),
                config.checkIntervalSeconds());
    }

    HostAddressesComponent(Supplier<HostIdentity> source, int checkIntervalSeconds) {
        this.source = source;
        this.current = source.get();
        LOG.info("Host identity: hostname {}, addresses {}", current.hostname(), text(current.addresses()));
        checker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "aranya-host-addresses");
            thread.setDaemon(true);
            return thread;
        });
        checker.scheduleWithFixedDelay(this::check, checkIntervalSeconds, checkIntervalSeconds, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        checker.shutdownNow();
    }

    @Override
    public HostIdentity current() {
        return current;
    }

    @Override
    public AutoCloseable onChange(Consumer<HostIdentity> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Re-reads the identity and tells the listeners if it changed. */
    void check() {
        HostIdentity next;
        try {
            next = source.get();
        } catch (RuntimeException e) {
            LOG.warn("Could not re-read the host's addresses, keeping {}: {}", text(current.addresses()), e.toString());
            return;
        }
        if (next.equals(current)) {
            return;
        }
        LOG.warn("Host identity changed: hostname {} -> {}, addresses {} -> {}; Nodes and serving certificates follow",
                current.hostname(), next.hostname(), text(current.addresses()), text(next.addresses()));
        current = next;
        for (Consumer<HostIdentity> listener : listeners) {
            try {
                listener.accept(next);
            } catch (RuntimeException e) {
                LOG.error("A host address listener failed", e);
            }
        }
    }

    static HostIdentity identity(HostAddressesConfig config, Supplier<String> systemHostname,
                                 Supplier<List<InetAddress>> discovered) {
        String hostname = config.hostname().isBlank() ? systemHostname.get() : config.hostname().trim();
        List<InetAddress> addresses = new ArrayList<>();
        for (String literal : config.addresses()) {
            if (!literal.isBlank()) {
                addresses.add(parseLiteral(literal.trim()));
            }
        }
        if (addresses.isEmpty()) {
            addresses.addAll(preferred(discovered.get()));
        }
        return new HostIdentity(hostname, addresses);
    }

    /** Global addresses first (IPv4 before IPv6); loopback and link-local only if there is nothing else. */
    static List<InetAddress> preferred(List<InetAddress> all) {
        Comparator<InetAddress> ipv4First = Comparator.comparing(a -> a instanceof Inet4Address ? 0 : 1);
        List<InetAddress> global = all.stream()
                .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress() && !a.isAnyLocalAddress())
                .sorted(ipv4First).toList();
        if (!global.isEmpty()) {
            return global;
        }
        List<InetAddress> local = all.stream().filter(a -> !a.isAnyLocalAddress()).sorted(ipv4First).toList();
        return local.isEmpty() ? List.of(InetAddress.getLoopbackAddress()) : local;
    }

    private static InetAddress parseLiteral(String literal) {
        // only IP literals: a name here would be resolved through DNS, and advertised addresses must not depend on it
        if (!literal.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
            throw new IllegalArgumentException(HostAddressesConfig.PID + "/addresses: '" + literal
                    + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(HostAddressesConfig.PID + "/addresses: '" + literal
                    + "' is not an IP address", e);
        }
    }

    private static String systemHostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            // the name is known even when it does not resolve: the exception message starts with it
            String message = String.valueOf(e.getMessage());
            int colon = message.indexOf(':');
            return colon > 0 ? message.substring(0, colon) : "localhost";
        }
    }

    private static List<InetAddress> interfaceAddresses() {
        try {
            List<InetAddress> addresses = new ArrayList<>();
            for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
                if (nic.isUp() && !nic.isVirtual()) {
                    nic.inetAddresses().forEach(addresses::add);
                }
            }
            return addresses;
        } catch (SocketException e) {
            throw new UncheckedIOException(new IOException("cannot list the network interfaces", e));
        }
    }

    private static List<String> text(List<InetAddress> addresses) {
        return addresses.stream().map(InetAddress::getHostAddress).toList();
    }
}
