package dev.aranya.itests.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Keys and certificates signed with the test control plane's CA by {@code openssl}, and TLS contexts from them. */
public final class ClusterCa {
    private static final Path PKI = Path.of(System.getProperty("user.home"), ".cache/aranya/controlplane/pki");

    private ClusterCa() {
    }

    /** A new EC key ({@code name.key}, PKCS#8 PEM) and its certificate ({@code name.crt}) in {@code dir}. */
    public record Issued(Path key, Path certificate) {
    }

    /**
     * @param subject    e.g. {@code /O=system:nodes/CN=system:node:n1}
     * @param extensions openssl extension lines, e.g. {@code subjectAltName=IP:127.0.0.1}
     */
    public static Issued issue(Path dir, String name, String subject, String extensions)
            throws IOException, InterruptedException {
        Path key = dir.resolve(name + ".key");
        Path csr = dir.resolve(name + ".csr");
        Path cert = dir.resolve(name + ".crt");
        Path ext = dir.resolve(name + ".ext");
        Files.writeString(ext, extensions + "\n");
        run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key.toString(), "-subj", subject, "-out", csr.toString());
        run("openssl", "x509", "-req", "-in", csr.toString(), "-CA", PKI.resolve("ca.crt").toString(), "-CAkey",
                PKI.resolve("ca.key").toString(), "-CAcreateserial", "-CAserial", dir.resolve("ca.srl").toString(),
                "-days", "1", "-extfile", ext.toString(), "-out", cert.toString());
        return new Issued(key, cert);
    }

    /** A client TLS context trusting the cluster CA, presenting {@code client} if not null. */
    public static SSLContext clientContext(Issued client) throws IOException, InterruptedException,
            GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream ca = Files.newInputStream(PKI.resolve("ca.crt"))) {
            trust.setCertificateEntry("cluster-ca", CertificateFactory.getInstance("X.509").generateCertificate(ca));
        }
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        KeyManagerFactory keyManagers = null;
        if (client != null) {
            Path keyStore = client.key().resolveSibling(client.key().getFileName() + ".p12");
            run("openssl", "pkcs12", "-export", "-inkey", client.key().toString(), "-in",
                    client.certificate().toString(), "-passout", "pass:test", "-out", keyStore.toString());
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStore)) {
                keys.load(in, "test".toCharArray());
            }
            keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, "test".toCharArray());
        }
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers == null ? null : keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        return tls;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}
