package dev.aranya.transport.tcp.internal;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Throwaway CAs and certificates for loopback TLS tests, written as PEM files. */
final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    record Issued(KeyPair keys, X509Certificate certificate, Path certificateFile, Path keyFile) {
        /** A JDK TLS client context presenting this certificate and trusting {@code ca}. */
        SSLContext clientContext(Issued ca) throws GeneralSecurityException, IOException {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry("device", keys.getPrivate(), new char[0], new X509Certificate[] {certificate});
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keyStore, new char[0]);
            KeyStore trustStore = KeyStore.getInstance("PKCS12");
            trustStore.load(null, null);
            trustStore.setCertificateEntry("ca", ca.certificate);
            TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trustStore);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
            return context;
        }
    }

    private final Path folder;

    TestPki(Path folder) {
        this.folder = folder;
    }

    Issued ca(String name) throws Exception {
        KeyPair keys = keys();
        X500Name subject = new X500Name("CN=" + name);
        JcaX509v3CertificateBuilder builder = builder(subject, subject, keys);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        return write(name, keys, sign(builder, keys));
    }

    Issued server(Issued ca, String name) throws Exception {
        KeyPair keys = keys();
        JcaX509v3CertificateBuilder builder = builder(issuer(ca), new X500Name("CN=" + name), keys);
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, name), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        return write("server-" + name, keys, sign(builder, ca.keys));
    }

    Issued device(Issued ca, String namespace, String name) throws Exception {
        KeyPair keys = keys();
        JcaX509v3CertificateBuilder builder = builder(issuer(ca), new X500Name("O=" + namespace + ",CN=" + name), keys);
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        return write("device-" + namespace + "-" + name + "-" + SERIAL.incrementAndGet(), keys, sign(builder, ca.keys));
    }

    /** A device certificate, with its key, valid from now for the lifetime. */
    Issued device(Issued ca, String namespace, String name, Duration lifetime) throws Exception {
        KeyPair keys = keys();
        Instant now = Instant.now();
        return write("device-" + namespace + "-" + name + "-" + SERIAL.incrementAndGet(), keys,
                device(ca, namespace, name, keys.getPublic(), now.minusSeconds(1), now.plus(lifetime)));
    }

    /** A device certificate for a key made elsewhere (an enrolling agent's). */
    X509Certificate device(Issued ca, String namespace, String name, java.security.PublicKey key, Instant notBefore,
            Instant notAfter) throws Exception {
        JcaX509v3CertificateBuilder builder = builder(issuer(ca), new X500Name("O=" + namespace + ",CN=" + name), key,
                notBefore, notAfter);
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        return sign(builder, ca.keys);
    }

    private static X500Name issuer(Issued ca) {
        return new X500Name(ca.certificate.getSubjectX500Principal().getName());
    }

    private static KeyPair keys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        return builder(issuer, subject, keys.getPublic());
    }

    private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, java.security.PublicKey key) {
        Instant now = Instant.now();
        return builder(issuer, subject, key, now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
    }

    private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, java.security.PublicKey key,
            Instant notBefore, Instant notAfter) {
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(notBefore), Date.from(notAfter), subject, key);
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder builder, KeyPair issuerKeys)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    private Issued write(String name, KeyPair keys, X509Certificate certificate) throws Exception {
        Path certificateFile = folder.resolve(name + ".crt");
        Path keyFile = folder.resolve(name + ".key");
        Files.writeString(certificateFile, pem("CERTIFICATE", certificate.getEncoded()));
        Files.writeString(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
        return new Issued(keys, certificate, certificateFile, keyFile);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
