package dev.aranya.itests.support;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** The transports' mutual-TLS material, made with the operator's tool {@code scripts/device-pki.sh}. */
public final class DevicePki {
    private final Path dir;

    private DevicePki(Path dir) {
        this.dir = dir;
    }

    /** A new device CA and a server certificate for the given SANs. */
    public static DevicePki create(Path dir, String... serverSans) throws IOException, InterruptedException {
        DevicePki pki = new DevicePki(dir);
        pki.run("init", dir.toString());
        pki.run("server", dir.toString(), String.join(",", serverSans));
        return pki;
    }

    public Path ca() {
        return dir.resolve("ca.crt");
    }

    public Path serverCertificate() {
        return dir.resolve("server.crt");
    }

    public Path serverKey() {
        return dir.resolve("server.key");
    }

    /** Issues the device's client certificate; returns {certificate, key}. */
    public Path[] device(String namespace, String name) throws IOException, InterruptedException {
        run("device", dir.toString(), namespace, name);
        Path base = dir.resolve("devices").resolve(namespace);
        return new Path[] {base.resolve(name + ".crt"), base.resolve(name + ".key")};
    }

    /**
     * Device certificates for many devices at once, as {@link #device} makes them (subject {@code O=<namespace>,
     * CN=<name>}, ECDSA P-256, clientAuth, signed by this CA) but signed in this JVM: four openssl processes per
     * device are minutes for a thousand devices on a loaded machine. Returns {certificate, key} per name, in order.
     */
    public List<Path[]> devices(String namespace, List<String> names) throws IOException, GeneralSecurityException {
        X509Certificate ca;
        try (InputStream in = Files.newInputStream(ca())) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        PrivateKey caKey = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pemBody(dir.resolve("ca.key"))));
        Path base = Files.createDirectories(dir.resolve("devices").resolve(namespace));
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        SecureRandom random = new SecureRandom();
        Instant now = Instant.now();
        List<Path[]> issued = new ArrayList<>();
        try {
            for (String name : names) {
                KeyPair key = generator.generateKeyPair();
                X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, namespace)
                        .addRDN(BCStyle.CN, name).build();
                X509CertificateHolder certificate = new JcaX509v3CertificateBuilder(ca,
                        new BigInteger(64, random).add(BigInteger.ONE), Date.from(now.minusSeconds(60)),
                        Date.from(now.plus(Duration.ofDays(825))), subject, key.getPublic())
                        .addExtension(Extension.basicConstraints, false, new BasicConstraints(false))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
                        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey));
                Path crt = base.resolve(name + ".crt");
                Path keyFile = base.resolve(name + ".key");
                Files.writeString(crt, pem("CERTIFICATE", certificate.getEncoded()));
                Files.writeString(keyFile, pem("PRIVATE KEY", key.getPrivate().getEncoded()));
                issued.add(new Path[] {crt, keyFile});
            }
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
        return issued;
    }

    private static byte[] pemBody(Path file) throws IOException {
        String text = Files.readString(file);
        return Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", "").trim());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private void run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("aranya.repo.dir"), "scripts/device-pki.sh").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(command + " failed: " + output);
        }
    }
}
