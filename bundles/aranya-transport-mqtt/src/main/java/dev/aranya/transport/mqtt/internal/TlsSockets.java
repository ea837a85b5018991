package dev.aranya.transport.mqtt.internal;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/** TLS to a broker from PEM material: the CA that signed the broker, optionally a client certificate and key. */
final class TlsSockets {
    private TlsSockets() {
    }

    /**
     * @param caPem   PEM certificates that the broker's certificate must chain to
     * @param certPem PEM client certificate chain, or null
     * @param keyPem  PEM PKCS#8 private key of the client certificate, or null
     * @param source  where the material came from, for error messages
     */
    static SSLSocketFactory socketFactory(byte[] caPem, byte[] certPem, byte[] keyPem, String source) {
        try {
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int n = 0;
            for (Certificate ca : x509.generateCertificates(new ByteArrayInputStream(caPem))) {
                trust.setCertificateEntry("ca-" + n++, ca);
            }
            if (n == 0) {
                throw new IllegalArgumentException(source + ": ca.crt holds no certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (certPem != null || keyPem != null) {
                if (certPem == null || keyPem == null) {
                    throw new IllegalArgumentException(source + ": a client certificate needs both tls.crt and tls.key");
                }
                Collection<? extends Certificate> chain = x509.generateCertificates(new ByteArrayInputStream(certPem));
                KeyStore identity = KeyStore.getInstance("PKCS12");
                identity.load(null, null);
                identity.setKeyEntry("client", privateKey(keyPem, source), new char[0], chain.toArray(new Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(identity, new char[0]);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException(source + ": unusable TLS material: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(byte[] pem, String source) throws GeneralSecurityException {
        String text = new String(pem, StandardCharsets.US_ASCII);
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(source + ": tls.key must be a PEM PKCS#8 key (BEGIN PRIVATE KEY)");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (java.security.spec.InvalidKeySpecException notThisAlgorithm) {
                // try the next
            }
        }
        throw new IllegalArgumentException(source + ": tls.key is not an EC, RSA or Ed25519 key");
    }
}
