package dev.aranya.transport.grpc.internal;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway CA and the certificates it issues, written as PEM files for the transport's settings. */
final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(1);
    private final Path dir;
    private final KeyPair caKeys;
    final X509Certificate ca;
    final Path caFile;

    TestPki(Path dir, String name) throws Exception {
        this.dir = dir;
        caKeys = keys();
        ca = sign("CN=" + name, caKeys, caKeys, null, true, null);
        caFile = write(name + "-ca.crt", ca);
    }

    /** A certificate and key issued by this CA, with a DNS/IP name for servers. */
    Path[] issue(String fileName, String subject, String ipAddress) throws Exception {
        KeyPair keys = keys();
        X509Certificate certificate = sign(subject, keys, caKeys, ca, false, ipAddress);
        Path key = dir.resolve(fileName + ".key");
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
        }
        Files.writeString(key, pem.toString());
        return new Path[] {write(fileName + ".crt", certificate), key};
    }

    private Path write(String fileName, X509Certificate certificate) throws IOException {
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(certificate);
        }
        Path file = dir.resolve(fileName);
        Files.writeString(file, pem.toString());
        return file;
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(String subject, KeyPair keys, KeyPair issuerKeys, X509Certificate issuer,
                                        boolean isCa, String ipAddress) throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                issuer == null ? new X500Name(subject) : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
                BigInteger.valueOf(SERIAL.getAndIncrement()), Date.from(now.minus(Duration.ofMinutes(1))),
                Date.from(now.plus(Duration.ofDays(1))), new X500Name(subject), keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (ipAddress != null) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.iPAddress, ipAddress), new GeneralName(GeneralName.dNSName, "localhost")}));
        }
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }
}
