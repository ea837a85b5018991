package dev.aranya.certs.internal;

import dev.aranya.api.Aranya;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CA of Aranya's own, kept in a {@code kubernetes.io/tls} Secret so that every Aranya instance of the namespace
 * and every restart issues from the same one. Made when the Secret is missing; an operator may put a CA of their
 * own there instead.
 */
final class CaSecrets {
    private static final Logger LOG = LoggerFactory.getLogger(CaSecrets.class);

    private CaSecrets() {
    }

    /**
     * @throws CertificateException when the Secret exists but holds no usable CA (it is never overwritten)
     */
    static CertificateAuthority loadOrCreate(KubernetesClient client, String namespace, String secretName, String commonName,
                                             Duration validity, Clock clock) throws CertificateException {
        Secret existing = client.secrets().inNamespace(namespace).withName(secretName).get();
        if (existing == null) {
            CertificateAuthority created = CertificateAuthority.create(commonName, validity, clock);
            Secret secret = TlsSecrets.create(namespace, secretName,
                    Map.of(Aranya.LABEL_ROLE, Labels.ROLE_CERTIFICATE_AUTHORITY, Aranya.LABEL_NAMESPACE, namespace),
                    Map.of(), null, created.key(), List.of(created.certificate()));
            try {
                client.secrets().inNamespace(namespace).resource(secret).create();
                LOG.info("Made CA '{}' in Secret {}/{}, valid until {}", commonName, namespace, secretName,
                        created.certificate().getNotAfter().toInstant());
                return created;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                // another Aranya instance made it first: use theirs
                existing = client.secrets().inNamespace(namespace).withName(secretName).get();
            }
        }
        return read(existing, clock);
    }

    static CertificateAuthority read(Secret secret, Clock clock) throws CertificateException {
        TlsSecrets.Stored stored = TlsSecrets.read(secret);
        X509Certificate certificate = stored.leaf();
        String where = "Secret " + secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
        if (certificate.getBasicConstraints() < 0) {
            throw new CertificateException(where + " holds a certificate that is not a CA (" + certificate.getSubjectX500Principal() + ")");
        }
        if (certificate.getNotAfter().toInstant().isBefore(clock.instant())) {
            throw new CertificateException(where + " holds a CA that expired on " + certificate.getNotAfter().toInstant()
                    + ": replace or delete the Secret");
        }
        return new CertificateAuthority(stored.key(), certificate, clock);
    }
}
