package dev.aranya.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.host.HostAddresses;
import dev.aranya.api.transport.DeviceId;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.time.Clock;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bad input and an unreachable apiserver end an ensure with a clear error, never a hang. */
class NodeCertificateServiceTest {
    private final KubernetesClient unreachable = new KubernetesClientBuilder()
            .withConfig(new ConfigBuilder().withMasterUrl("https://127.0.0.1:1").withRequestTimeout(2000).withRequestRetryBackoffLimit(0).build())
            .withHttpClientFactory(new JdkHttpClientFactory()).build();
    private final HostAddresses host = new HostAddresses() {
        @Override
        public HostIdentity current() {
            return CertificationRequestsTest.host("host-a", "192.0.2.1");
        }

        @Override
        public AutoCloseable onChange(Consumer<HostIdentity> listener) {
            return () -> { };
        }
    };
    private final NodeCertificateService service =
            new NodeCertificateService(unreachable, host, ReuseAndRenewalTest.settings(KeyType.ECDSA, false), Clock.systemUTC());

    @AfterEach
    void stop() {
        service.deactivate();
        unreachable.close();
    }

    @Test
    void ensureWithoutANodeNameIsRefused() {
        assertThatThrownBy(() -> service.ensure(new DeviceId("edge", "pi"), " ").toCompletableFuture().get(1, TimeUnit.SECONDS))
                .cause().isInstanceOf(IllegalArgumentException.class).hasMessage("ensure needs a device and a node name, not edge/pi and ' '");
    }

    @Test
    void unreachableApiserverFailsTheEnsureNamingTheSecretItCouldNotRead() {
        assertThatThrownBy(() -> service.ensure(new DeviceId("edge", "pi"), "pi").toCompletableFuture().get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(IssueFailure.class)
                .hasMessageStartingWith("reading Secret edge/pi-kubelet-tls failed: ");
        assertThat(service.current("pi")).isEmpty();
    }
}
