package dev.aranya.certs.internal;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate fresh from a signer.
 *
 * @param chain  leaf first
 * @param issuer who signed: {@link ClusterSigner#SIGNER_NAME} or {@link Labels#ISSUER_OWN_CA}
 * @param origin what to look at for the story: the CSR's name, or the CA Secret's
 */
record Issued(List<X509Certificate> chain, String issuer, String origin) {
    Issued {
        chain = List.copyOf(chain);
    }
}
