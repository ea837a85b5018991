package dev.aranya.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.certs.DeviceIdentities.DeviceIdentityException;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.protocol.CertificationRequests;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.EdgeDeviceManifests;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Device identities against the real apiserver, the way an operator and an agent meet them: the operator creates a
 * bootstrap token Secret with kubectl, the agent enrols once with it, authenticates and renews with its
 * certificate, and deleting its identity Secret revokes it, which ends the connections that use it.
 */
@ExtendWith(ControlPlaneExtension.class)
class DeviceIdentitiesE2E {
    private DeviceIdentityService identities;

    @BeforeEach
    void start(TestNamespace namespace) {
        identities = new DeviceIdentityService(namespace.client(), "aranya-device-ca", Duration.ofDays(3650), Duration.ofDays(90), Duration.ofSeconds(60), Duration.ofHours(24), Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        identities.deactivate();
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void agentEnrolsOnceWithItsTokenThenAuthenticatesAndRenewsUntilRevoked(ControlPlane controlPlane, TestNamespace namespace) throws Exception {
        DeviceId device = new DeviceId(namespace.name(), "pi");
        controlPlane.installEdgeDeviceCrd();
        controlPlane.kubectl(EdgeDeviceManifests.served("pi", "tcp"), "-n", namespace.name(), "apply", "-f", "-").orThrow("kubectl apply EdgeDevice");
        controlPlane.kubectl(null, "create", "secret", "generic", "pi-bootstrap-token", "-n", namespace.name(),
                "--from-literal=token=s3cret-t0ken").orThrow("creating the bootstrap token");
        KeyPair keys = KeyType.ECDSA.generate(0);

        List<X509Certificate> chain = await(identities.enrol(device, "s3cret-t0ken", keys.getPublic()));

        chain.get(0).verify(identities.trustAnchors().get(0).getPublicKey());
        assertThat(chain.get(0).getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(await(identities.authenticate(chain))).isEqualTo(device);
        BlockingQueue<String> firstEnded = new LinkedBlockingQueue<>();
        identities.watchRevocation(device, chain.get(0), firstEnded::add); // as a transport does for the connection
        assertThat(controlPlane.kubectl(null, "get", "secret", "pi-bootstrap-token", "-n", namespace.name()).stderr()).contains("NotFound");
        assertThat(controlPlane.kubectl(null, "get", "secret", "aranya-device-ca", "pi-device-identity", "-n", namespace.name()).exitCode()).isZero();
        assertRefused(identities.enrol(device, "s3cret-t0ken", keys.getPublic()), "has no bootstrap token");

        List<X509Certificate> renewed = await(identities.renew(chain, newKeyRequest(device)));
        assertThat(await(identities.authenticate(renewed))).isEqualTo(device);
        assertThat(await(identities.authenticate(chain))).as("the previous certificate, still in use until reconnect").isEqualTo(device);
        assertThat(firstEnded.poll(1, TimeUnit.SECONDS)).as("a renewal leaves the connection be").isNull();
        List<X509Certificate> renewedAgain = await(identities.renew(renewed, newKeyRequest(device)));
        assertRefused(identities.authenticate(chain), "was replaced or revoked");
        assertThat(firstEnded.poll(30, TimeUnit.SECONDS)).as("the connection with the certificate no longer listed")
                .isEqualTo("certificate " + chain.get(0).getSerialNumber().toString(16) + " of device " + device
                        + " was replaced or revoked");
        assertThat(await(identities.authenticate(renewedAgain))).isEqualTo(device);
        BlockingQueue<String> lastEnded = new LinkedBlockingQueue<>();
        identities.watchRevocation(device, renewedAgain.get(0), lastEnded::add);
        BlockingQueue<String> closedEnded = new LinkedBlockingQueue<>();
        identities.watchRevocation(device, renewedAgain.get(0), closedEnded::add).close(); // that connection ended

        controlPlane.kubectl(null, "delete", "secret", "pi-device-identity", "-n", namespace.name()).orThrow("revoking");
        assertThat(lastEnded.poll(30, TimeUnit.SECONDS)).as("the open connection, told at once")
                .isEqualTo("device " + device + " was revoked (its identity Secret pi-device-identity was deleted)");
        assertThat(closedEnded).as("a connection that ended is not told").isEmpty();
        assertRefused(identities.authenticate(renewedAgain), "is revoked (it has no identity Secret pi-device-identity)");
        assertRefused(identities.renew(renewedAgain, newKeyRequest(device)), "is revoked");
        BlockingQueue<String> lateEnded = new LinkedBlockingQueue<>();
        identities.watchRevocation(device, renewedAgain.get(0), lateEnded::add);
        assertThat(lateEnded.poll(30, TimeUnit.SECONDS)).as("a watch that starts after the revocation")
                .startsWith("device " + device + " was revoked");
    }

    @Test
    void aDeviceWhoseEdgeDeviceIsGoneIsNotRenewed(ControlPlane controlPlane, TestNamespace namespace) throws Exception {
        DeviceId device = new DeviceId(namespace.name(), "pi-gone");
        controlPlane.kubectl(null, "create", "secret", "generic", "pi-gone-bootstrap-token", "-n", namespace.name(),
                "--from-literal=token=t0ken").orThrow("creating the bootstrap token");
        List<X509Certificate> chain = await(identities.enrol(device, "t0ken", KeyType.ECDSA.generate(0).getPublic()));

        assertRefused(identities.renew(chain, newKeyRequest(device)), "EdgeDevice " + device + " does not exist, so its certificate is not renewed");
    }

    @Test
    void wrongTokenIsRefusedAndLeavesTheTokenUsable(ControlPlane controlPlane, TestNamespace namespace) throws Exception {
        DeviceId device = new DeviceId(namespace.name(), "pi-wrong");
        controlPlane.kubectl(null, "create", "secret", "generic", "pi-wrong-bootstrap-token", "-n", namespace.name(),
                "--from-literal=token=right").orThrow("creating the bootstrap token");
        KeyPair keys = KeyType.ECDSA.generate(0);

        assertRefused(identities.enrol(device, "wrong", keys.getPublic()), "the bootstrap token presented for device "
                + device + " is not its token");
        assertThat(await(identities.enrol(device, "right", keys.getPublic()))).hasSize(1);
    }

    @Test
    void certificateOfAnotherCaIsRefused(TestNamespace namespace) throws Exception {
        CertificateAuthority stranger = CertificateAuthority.create("stranger", Duration.ofDays(1), Clock.systemUTC());
        X509Certificate forged = DeviceCertificates.issue(stranger, new DeviceId(namespace.name(), "pi"),
                KeyType.ECDSA.generate(0).getPublic(), Duration.ofHours(1));

        assertRefused(identities.authenticate(List.of(forged)), "was not issued by the device CA");
    }

    /** What an agent sends to renew: a PKCS#10 request signed by a new key. */
    private static byte[] newKeyRequest(DeviceId device) throws Exception {
        return CertificationRequests.create(KeyType.ECDSA.generate(0), device.namespace(), device.name());
    }

    private static void assertRefused(CompletionStage<?> stage, String message) {
        assertThatThrownBy(() -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(DeviceIdentityException.class).hasMessageContaining(message);
    }
}
