package dev.aranya.api.certs;

import dev.aranya.api.transport.DeviceId;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.osgi.annotation.versioning.ProviderType;

/** Hands out each Node's current serving certificate, and tells when one is replaced (renewal, new addresses). */
@ProviderType
public interface NodeCertificates {
    /**
     * Makes sure the device's Node has a valid serving certificate: reuses the stored one if it still matches the
     * host's addresses and is not due for renewal, otherwise requests one. From then on it is renewed and reissued
     * by itself until {@link #release}.
     *
     * @return completes with the certificate, or exceptionally with a message for the device's
     *         {@code CertificateReady} condition (no signer, denied, timed out)
     */
    CompletionStage<ServingCertificate> ensure(DeviceId device, String nodeName);

    /**
     * Stops renewing the device's certificate.
     *
     * @param deleteStored also delete the stored key and certificate (the EdgeDevice was deleted)
     */
    void release(DeviceId device, boolean deleteStored);

    /** The node's current certificate, if one has been issued. */
    Optional<ServingCertificate> current(String nodeName);

    /**
     * Calls the listener with every certificate issued from now on, for any node.
     *
     * @return call to stop listening
     */
    AutoCloseable onIssued(Consumer<ServingCertificate> listener);

    /**
     * A key and its certificate chain (leaf first).
     *
     * @param nodeName the Node the certificate serves
     */
    record ServingCertificate(String nodeName, PrivateKey key, List<X509Certificate> chain) {
        public ServingCertificate {
            chain = List.copyOf(chain);
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("a serving certificate needs at least the leaf certificate");
            }
        }

        @Override
        public String toString() {
            // the key stays out of logs
            return "ServingCertificate[node=" + nodeName + ", subject=" + chain.get(0).getSubjectX500Principal()
                    + ", notAfter=" + chain.get(0).getNotAfter().toInstant() + "]";
        }
    }
}
