package dev.aranya.itests.support;

import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.transport.DeviceId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A {@link NodeCertificates} double: one node's serving certificate, signed with the control plane's CA
 * ({@link ClusterCa}; SAN 127.0.0.1, like the node address the tests give their Nodes).
 */
public final class PemNodeCertificates implements NodeCertificates {
    private final ServingCertificate certificate;

    private PemNodeCertificates(ServingCertificate certificate) {
        this.certificate = certificate;
    }

    /** Makes a key and a certificate for the node in {@code dir}, signed by the control plane's CA. */
    public static PemNodeCertificates issue(Path dir, String nodeName) throws IOException, InterruptedException,
            GeneralSecurityException {
        ClusterCa.Issued issued = ClusterCa.issue(dir, "node", "/O=system:nodes/CN=system:node:" + nodeName,
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth");
        String pem = Files.readString(issued.key()).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey privateKey = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        X509Certificate leaf;
        try (InputStream in = Files.newInputStream(issued.certificate())) {
            leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        return new PemNodeCertificates(new ServingCertificate(nodeName, privateKey, List.of(leaf)));
    }

    @Override
    public CompletionStage<ServingCertificate> ensure(DeviceId device, String nodeName) {
        return CompletableFuture.completedFuture(certificate);
    }

    @Override
    public void release(DeviceId device, boolean deleteStored) {
    }

    @Override
    public Optional<ServingCertificate> current(String nodeName) {
        return certificate.nodeName().equals(nodeName) ? Optional.of(certificate) : Optional.empty();
    }

    @Override
    public AutoCloseable onIssued(Consumer<ServingCertificate> listener) {
        return () -> { };
    }
}
