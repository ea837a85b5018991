package dev.aranya.certs.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/** PEM text of certificates and keys, as Kubernetes stores them ({@code tls.crt}, {@code tls.key}). */
final class Pem {
    private Pem() {
    }

    /** Writes the objects as PEM blocks; a private key is written as PKCS#8 ({@code PRIVATE KEY}), whatever its type. */
    static String encode(Object... objects) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            for (Object object : objects) {
                if (object instanceof PrivateKey key) {
                    writer.writeObject(new JcaPKCS8Generator(key, null));
                } else if (object instanceof List<?> list) {
                    for (Object element : list) {
                        writer.writeObject(element);
                    }
                } else {
                    writer.writeObject(object);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write PEM", e);
        }
        return text.toString();
    }

    /**
     * @return the certificates of a PEM chain, in their order
     * @throws CertificateException when the text holds none, or one that does not parse
     */
    static List<X509Certificate> certificates(String pem) throws CertificateException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> chain = new ArrayList<>();
        for (var certificate : factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
            chain.add((X509Certificate) certificate);
        }
        if (chain.isEmpty()) {
            throw new CertificateException("no PEM certificate found");
        }
        return chain;
    }

    /**
     * Reads a private key in PKCS#8 ({@code PRIVATE KEY}), SEC1 ({@code EC PRIVATE KEY}) or PKCS#1
     * ({@code RSA PRIVATE KEY}) form, the forms Go and OpenSSL write.
     *
     * @throws CertificateException when the text holds no such key; the message never contains key material
     */
    static PrivateKey privateKey(String pem) throws CertificateException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (object instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            throw new CertificateException(object == null ? "no PEM private key found"
                    : "expected a private key, found a PEM " + object.getClass().getSimpleName());
        } catch (IOException | RuntimeException e) {
            throw new CertificateException("unreadable private key (" + e.getClass().getSimpleName() + ")");
        }
    }
}
