package dev.aranya.certs.internal;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A key and its certificate chain in a Secret of type {@code kubernetes.io/tls}: {@code tls.key} (PKCS#8 PEM) and
 * {@code tls.crt} (PEM chain, leaf first), as {@code kubectl create secret tls} writes them.
 */
final class TlsSecrets {
    static final String TYPE = "kubernetes.io/tls";
    static final String CERTIFICATE = "tls.crt";
    static final String KEY = "tls.key";

    private TlsSecrets() {
    }

    /**
     * What a Secret holds.
     *
     * @param annotations the Secret's annotations (issuer, node, origin)
     */
    record Stored(PrivateKey key, List<X509Certificate> chain, Map<String, String> annotations) {
        X509Certificate leaf() {
            return chain.get(0);
        }
    }

    static Secret create(String namespace, String name, Map<String, String> labels, Map<String, String> annotations,
                         OwnerReference owner, PrivateKey key, List<X509Certificate> chain) {
        Base64.Encoder base64 = Base64.getEncoder();
        return new SecretBuilder()
                .withNewMetadata()
                    .withNamespace(namespace).withName(name).withLabels(labels).withAnnotations(annotations)
                    .withOwnerReferences(owner == null ? List.of() : List.of(owner))
                .endMetadata()
                .withType(TYPE)
                .addToData(CERTIFICATE, base64.encodeToString(Pem.encode(chain).getBytes(StandardCharsets.US_ASCII)))
                .addToData(KEY, base64.encodeToString(Pem.encode(key).getBytes(StandardCharsets.US_ASCII)))
                .build();
    }

    /**
     * @throws CertificateException naming the Secret and what is wrong with it (never its key material)
     */
    static Stored read(Secret secret) throws CertificateException {
        String where = "Secret " + secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        List<X509Certificate> chain;
        PrivateKey key;
        try {
            chain = Pem.certificates(decode(data, CERTIFICATE));
            key = Pem.privateKey(decode(data, KEY));
        } catch (CertificateException e) {
            throw new CertificateException(where + ": " + e.getMessage(), e);
        }
        if (KeyType.of(chain.get(0).getPublicKey()) == null) {
            throw new CertificateException(where + ": its certificate's key (" + chain.get(0).getPublicKey().getAlgorithm()
                    + ") is neither ECDSA P-256 nor RSA");
        }
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new CertificateException(where + ": its " + KEY + " is not the key of its " + CERTIFICATE);
        }
        Map<String, String> annotations = secret.getMetadata().getAnnotations() == null ? Map.of() : secret.getMetadata().getAnnotations();
        return new Stored(key, chain, Map.copyOf(annotations));
    }

    private static String decode(Map<String, String> data, String entry) throws CertificateException {
        String value = data.get(entry);
        if (value == null || value.isEmpty()) {
            throw new CertificateException("no " + entry);
        }
        try {
            return new String(Base64.getDecoder().decode(value), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw new CertificateException(entry + " is not base64");
        }
    }

    /** Whether the private key belongs to the public key: it signs something the public key verifies. */
    static boolean matches(PrivateKey key, PublicKey publicKey) {
        KeyType type = KeyType.of(publicKey);
        if (type == null || !key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(type.signatureAlgorithm());
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(type.signatureAlgorithm());
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
