package dev.aranya.transport.tcp.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The certificate and key an agent got by enrolment or renewal, in {@code <dataDirectory>/device-identity/}:
 * {@code tls.key} (PKCS#8 PEM, owner-only 0600) and {@code tls.crt} (PEM chain, leaf first). A new pair is first
 * written beside them ({@code tls.key.new}, then {@code tls.crt.new}) and then renamed into place, so that a crash
 * at any point leaves a pair that belongs together: {@link #recover} finishes or drops a half-done replacement.
 */
final class EnrolledIdentity {
    static final String FOLDER = "device-identity";

    private final Path folder;

    EnrolledIdentity(Path dataDirectory) {
        this.folder = dataDirectory.resolve(FOLDER);
    }

    Path certificate() {
        return folder.resolve("tls.crt");
    }

    Path key() {
        return folder.resolve("tls.key");
    }

    private Path staged(Path file) {
        return file.resolveSibling(file.getFileName() + ".new");
    }

    boolean exists() {
        return Files.isReadable(certificate()) && Files.isReadable(key());
    }

    /** The current certificate. */
    X509Certificate leaf() throws IOException {
        return leaf(certificate());
    }

    /** The first certificate in a PEM file. */
    static X509Certificate leaf(Path file) throws IOException {
        return leaf(file, Files.readAllBytes(file));
    }

    /** The first certificate in the PEM content of the file. */
    static X509Certificate leaf(Path file, byte[] content) throws IOException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(content));
        } catch (CertificateException e) {
            throw new IOException("cannot read the device certificate " + file + ": " + e.getMessage(), e);
        }
    }

    /** Replaces the key and certificate; a crash part way is repaired by {@link #recover}. */
    void store(PrivateKey key, List<byte[]> chain) throws IOException {
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        if (!Files.isDirectory(folder)) {
            Files.createDirectories(folder, posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
                    : new FileAttribute<?>[0]);
        }
        write(staged(key()), pem("PRIVATE KEY", key.getEncoded()), posix);
        StringBuilder certificates = new StringBuilder();
        chain.forEach(der -> certificates.append(pem("CERTIFICATE", der)));
        write(staged(certificate()), certificates.toString(), posix);
        recover();
    }

    /**
     * Finishes a replacement whose new certificate was written (the new key was written before it), or drops one
     * that has only its new key: either way key and certificate belong together afterwards.
     */
    void recover() throws IOException {
        if (Files.exists(staged(certificate()))) {
            if (Files.exists(staged(key()))) {
                Files.move(staged(key()), key(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(staged(certificate()), certificate(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } else {
            Files.deleteIfExists(staged(key()));
        }
    }

    /** Into a new owner-only file, then renamed: the key is never readable by others, not even for a moment. */
    private void write(Path target, String content, boolean posix) throws IOException {
        Path temporary = Files.createTempFile(folder, target.getFileName().toString(), ".tmp",
                posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                        : new FileAttribute<?>[0]);
        try {
            Files.writeString(temporary, content, StandardCharsets.US_ASCII);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    static List<X509Certificate> certificates(List<byte[]> chain) throws CertificateException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> certificates = new ArrayList<>();
        for (byte[] der : chain) {
            certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
        }
        return certificates;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
