package dev.aranya.certs.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** PKCS#10 requests for a Node's serving certificate. */
final class CertificationRequests {
    private CertificationRequests() {
    }

    /**
     * A request with the identity's subject and its SANs as a requested extension, signed with the key. Key usages
     * are not in it: the CSR object's {@code spec.usages} carries them, and the signer takes them from there.
     */
    static PKCS10CertificationRequest create(NodeIdentity identity, KeyPair keys) {
        KeyType type = KeyType.of(keys.getPublic());
        if (type == null) {
            throw new IllegalArgumentException("serving keys are ECDSA P-256 or RSA, not " + keys.getPublic().getAlgorithm());
        }
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.subjectAlternativeName, false, identity.subjectAlternativeNames());
            ContentSigner signer = new JcaContentSignerBuilder(type.signatureAlgorithm()).build(keys.getPrivate());
            return new JcaPKCS10CertificationRequestBuilder(identity.subject(), keys.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                    .build(signer);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the SANs", e);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign with a " + type + " key", e);
        }
    }
}
