package dev.aranya.transport.mqtt.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A throwaway CA, a broker certificate for 127.0.0.1 and a client certificate, made with the openssl command
 * (PEM, PKCS#8 keys: what users put in a Secret).
 */
record TestCertificates(Path ca, Path serverCertificate, Path serverKey, Path clientCertificate, Path clientKey) {
    static TestCertificates create(Path dir) throws IOException, InterruptedException {
        Path ca = dir.resolve("ca.crt");
        Path caKey = dir.resolve("ca.key");
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                "-subj", "/CN=test-ca", "-keyout", caKey.toString(), "-out", ca.toString());
        Path[] server = issue(dir, "server", ca, caKey, "subjectAltName=IP:127.0.0.1,DNS:localhost");
        Path[] client = issue(dir, "client", ca, caKey, "extendedKeyUsage=clientAuth");
        return new TestCertificates(ca, server[0], server[1], client[0], client[1]);
    }

    private static Path[] issue(Path dir, String name, Path ca, Path caKey, String extension)
            throws IOException, InterruptedException {
        Path key = dir.resolve(name + ".key");
        Path csr = dir.resolve(name + ".csr");
        Path certificate = dir.resolve(name + ".crt");
        Path extensions = dir.resolve(name + ".ext");
        Files.writeString(extensions, extension + "\n");
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
                "-keyout", key.toString(), "-out", csr.toString());
        openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-days", "1", "-extfile", extensions.toString(), "-out", certificate.toString());
        return new Path[] {certificate, key};
    }

    private static void openssl(Path dir, String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("openssl " + arguments[0] + " failed: " + output);
        }
    }
}
