package dev.aranya.api.certs;

import dev.aranya.api.transport.DeviceId;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Client certificates that identify devices' agents to Aranya's transports (mutual TLS), issued by a device CA of
 * the namespace Aranya serves (bundle aranya-certs). A device gets its first certificate by enrolment with a
 * one-time bootstrap token, and renews it over a connection its current certificate authenticated. Deleting the
 * device's identity Secret ({@code <device>-device-identity}) or the EdgeDevice revokes it.
 *
 * <p>It lives in the API, not in aranya-certs, so that a transport can hold an optional reference to it and still
 * run (with a CA file of its own) where aranya-certs is not installed.
 *
 * <p>Failures complete the stages exceptionally with a {@link DeviceIdentityException} whose message can be shown
 * to the agent's operator; it never contains a token or key.
 */
@ProviderType
public interface DeviceIdentities {
    /**
     * The CA certificates that sign device certificates: what a transport trusts for client authentication. They
     * follow the device CA's Secret (an operator may replace it) within a refresh interval; never blocks once the
     * CA was loaded.
     *
     * @throws IllegalStateException when the device CA cannot be loaded
     */
    List<X509Certificate> trustAnchors();

    /**
     * Makes a new one-time bootstrap token for the device (replacing an unused one): Secret
     * {@code <device>-bootstrap-token}, owned by the EdgeDevice, which must exist.
     */
    CompletionStage<BootstrapToken> createBootstrapToken(DeviceId device);

    /**
     * A bootstrap token, for the operator to hand to the device's agent.
     *
     * @param expires after this the token is refused (and deleted)
     */
    record BootstrapToken(DeviceId device, String token, java.time.Instant expires) {
        @Override
        public String toString() {
            return "BootstrapToken[" + device + ", expires " + expires + "]"; // never the token
        }
    }

    /**
     * Exchanges the device's bootstrap token (Secret {@code <device>-bootstrap-token}, key {@code token}) for a
     * certificate of the key in the certification request. The token works once (the Secret is deleted) and not after it
     * expired (annotation {@code aranya.arhat.dev/expires}, else its creation plus the configured validity).
     *
     * @param certificationRequest DER PKCS#10, signed by the device's key (only its key is used)
     * @return the chain, leaf first
     */
    CompletionStage<List<X509Certificate>> enrol(DeviceId device, String bootstrapToken, byte[] certificationRequest);

    /**
     * A new certificate for a device that presented a valid one (its TLS client certificate), for the key in the
     * certification request; the presented one stays valid until it expires or the next renewal (the identity
     * Secret lists the new certificate and the presented one), so a connection opened with it is not cut by the
     * renewal. Refused when the device's EdgeDevice is gone or being deleted.
     *
     * @param certificationRequest DER PKCS#10, signed by the device's new key (only its key is used)
     * @return the chain, leaf first
     */
    CompletionStage<List<X509Certificate>> renew(List<X509Certificate> presented, byte[] certificationRequest);

    /**
     * The device a client certificate chain identifies: issued by the device CA, in its validity, and not revoked.
     * Transports call this after the TLS handshake has checked the chain against {@link #trustAnchors()}.
     */
    CompletionStage<DeviceId> authenticate(List<X509Certificate> chain);

    /**
     * Watches a certificate that {@link #authenticate} accepted, for as long as a connection uses it: {@code revoked}
     * is called once, with the reason, when the certificate stops being valid for its device (the device's identity
     * Secret was deleted, alone or with its EdgeDevice, or no longer lists the certificate). The transport closes
     * the connection then, so that revoking a device also ends its open connections.
     *
     * @return ends the watch: close it when the connection ends
     */
    Watch watchRevocation(DeviceId device, X509Certificate certificate, Consumer<String> revoked);

    /** A {@link #watchRevocation} that runs until closed. */
    interface Watch extends AutoCloseable {
        @Override
        void close();
    }

    /** The reason a device identity operation was refused. */
    class DeviceIdentityException extends Exception {
        private static final long serialVersionUID = 1L;

        public DeviceIdentityException(String message) {
            super(message);
        }
    }
}
