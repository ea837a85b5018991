package dev.aranya.kube.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.host.HostAddresses.HostIdentity;
import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HostAddressesComponentTest {
    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void discoveredAddressesPreferGlobalIpv4() throws Exception {
        List<InetAddress> all = List.of(ip("127.0.0.1"), ip("fe80::1"), ip("2001:db8::5"), ip("192.0.2.7"), ip("::1"));
        HostIdentity identity = HostAddressesComponent.identity(config("", new String[0]), () -> "edge-host", () -> all);

        assertThat(identity.hostname()).isEqualTo("edge-host");
        assertThat(identity.addresses()).containsExactly(ip("192.0.2.7"), ip("2001:db8::5"));
    }

    @Test
    void onlyLoopbackIsUsedWhenNothingElseExists() throws Exception {
        HostIdentity identity = HostAddressesComponent.identity(config("", new String[0]), () -> "h",
                () -> List.of(ip("::1"), ip("127.0.0.1")));

        assertThat(identity.addresses()).containsExactly(ip("127.0.0.1"), ip("::1"));
    }

    @Test
    void configuredIdentityWins() throws Exception {
        HostIdentity identity = HostAddressesComponent.identity(config("gw.example", new String[] {"10.0.0.9", " "}),
                () -> "ignored", () -> List.of(ip("192.0.2.7")));

        assertThat(identity).isEqualTo(new HostIdentity("gw.example", List.of(ip("10.0.0.9"))));
    }

    @Test
    void aConfiguredNameIsNotAnAddress() {
        assertThatThrownBy(() -> HostAddressesComponent.identity(config("", new String[] {"example.com"}),
                () -> "h", List::of))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dev.aranya.host/addresses: 'example.com' is not an IP address");
    }

    @Test
    void listenersLearnOfChangesOnly() throws Exception {
        AtomicReference<HostIdentity> source = new AtomicReference<>(new HostIdentity("h", List.of(ip("192.0.2.1"))));
        HostAddressesComponent component = new HostAddressesComponent(source::get, 3600);
        List<HostIdentity> seen = new ArrayList<>();
        AutoCloseable subscription = component.onChange(seen::add);

        component.check();
        source.set(new HostIdentity("h", List.of(ip("192.0.2.2"))));
        component.check();
        subscription.close();
        source.set(new HostIdentity("h", List.of(ip("192.0.2.3"))));
        component.check();

        assertThat(seen).containsExactly(new HostIdentity("h", List.of(ip("192.0.2.2"))));
        assertThat(component.current().addresses()).containsExactly(ip("192.0.2.3"));
        component.deactivate();
    }

    private static HostAddressesConfig config(String hostname, String[] addresses) {
        return new HostAddressesConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return HostAddressesConfig.class;
            }

            @Override
            public String hostname() {
                return hostname;
            }

            @Override
            public String[] addresses() {
                return addresses;
            }

            @Override
            public int checkIntervalSeconds() {
                return 30;
            }
        };
    }
}
