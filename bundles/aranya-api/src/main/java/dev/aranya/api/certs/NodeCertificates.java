package dev.aranya.api.certs;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.osgi.annotation.versioning.ProviderType;

/** Hands out each Node's current serving certificate, and tells when one is replaced (renewal, new addresses). */
@ProviderType
public interface NodeCertificates {
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
