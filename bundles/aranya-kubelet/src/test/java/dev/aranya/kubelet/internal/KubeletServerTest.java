package dev.aranya.kubelet.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.kubelet.KubeletEndpoints.KubeletNode;
import dev.aranya.api.transport.DeviceId;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The server as the apiserver meets it: TLS with the node's certificate, client certificates, routing, ports. */
class KubeletServerTest {
    private static final String NODE = "dev1";

    private final KeyPair caKey = keyPair();
    private final X509Certificate ca = certificate("CN=test-ca", caKey, caKey, null, true);
    private final RecordingDevice device = new RecordingDevice();
    private final List<Consumer<NodeCertificates.ServingCertificate>> issuedListeners = new ArrayList<>();
    private NodeCertificates.ServingCertificate current;
    private KubeletServer server;
    private final int port = freePort();

    private final NodeCertificates certificates = new NodeCertificates() {
        @Override
        public CompletionStage<ServingCertificate> ensure(DeviceId id, String nodeName) {
            return CompletableFuture.completedFuture(current);
        }

        @Override
        public void release(DeviceId id, boolean deleteStored) {
        }

        @Override
        public Optional<ServingCertificate> current(String nodeName) {
            return Optional.ofNullable(current).filter(c -> c.nodeName().equals(nodeName));
        }

        @Override
        public AutoCloseable onIssued(Consumer<ServingCertificate> listener) {
            issuedListeners.add(listener);
            return () -> issuedListeners.remove(listener);
        }
    };

    private final AccessReviews allowAll = new AccessReviews() {
        @Override
        public CompletionStage<Optional<KubeletUser>> reviewToken(String token) {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public CompletionStage<Decision> reviewAccess(KubeletUser user, String nodeName, RequestAttributes attributes) {
            return CompletableFuture.completedFuture(new Decision(true, ""));
        }
    };

    private static final KubeletConfig CONFIG = new KubeletConfig() {
        @Override
        public Class<? extends Annotation> annotationType() {
            return KubeletConfig.class;
        }

        @Override
        public String bindAddress() {
            return "127.0.0.1";
        }

        @Override
        public String clientCaFile() {
            return "";
        }

        @Override
        public boolean tokenAuthentication() {
            return true;
        }

        @Override
        public int authenticatedCacheSeconds() {
            return 120;
        }

        @Override
        public int authorizedCacheSeconds() {
            return 300;
        }

        @Override
        public int unauthorizedCacheSeconds() {
            return 30;
        }

        @Override
        public int streamCreationTimeoutSeconds() {
            return 30;
        }
    };

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.deactivate();
        }
    }

    private void start() throws IOException {
        server = new KubeletServer(CONFIG, device, certificates, () -> List.of(ca), allowAll);
        server.serve(new KubeletNode(device.device, NODE, "pod", port));
    }

    private NodeCertificates.ServingCertificate issue(String commonName) {
        KeyPair key = keyPair();
        return new NodeCertificates.ServingCertificate(NODE, key.getPrivate(),
                List.of(certificate("CN=" + commonName, key, caKey, ca, false)));
    }

    private HttpResponse<String> get(String path, boolean withClientCertificate) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(clientContext(withClientCertificate)).build();
        return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answersOnlyAuthenticatedClientsAndOnlyForItsPod() throws Exception {
        current = issue("system:node:" + NODE);
        start();
        awaitServing();

        assertThat(get("/healthz", false).statusCode()).isEqualTo(401);
        assertThat(get("/healthz", true).body()).isEqualTo("ok\n");
        HttpResponse<String> pods = get("/pods", true);
        assertThat(pods.headers().firstValue("content-type")).contains("application/json");
        assertThat(pods.body()).contains("\"name\":\"pod\"").contains("\"namespace\":\"ns\"");
        HttpResponse<String> otherPod = get("/containerLogs/ns/other/c", true);
        assertThat(otherPod.statusCode()).isEqualTo(404);
        assertThat(otherPod.body()).contains("pod ns/other is not on node dev1");
        assertThat(get("/configz/x", true).statusCode()).isEqualTo(404);
        assertThat(get("/containerLogs/ns/pod/c?tailLines=-1", true).body())
                .contains("tailLines must be an integer of at least 0");
        assertThat(device.opened).as("nothing reached the device").isEmpty();
    }

    @Test
    void refusesConnectionsUntilTheNodeHasACertificateAndPicksUpARenewal() throws Exception {
        start();
        assertThatThrownBy(() -> get("/healthz", true)).isInstanceOf(IOException.class);

        current = issue("first");
        issuedListeners.forEach(l -> l.accept(current));
        awaitServing();
        current = issue("renewed");
        issuedListeners.forEach(l -> l.accept(current));
        HttpResponse<String> response = get("/healthz", true);
        assertThat(response.sslSession().orElseThrow().getPeerCertificates()[0]).isEqualTo(current.chain().get(0));
    }

    @Test
    void servingAgainIsIdempotentAndATakenPortIsAClearError() throws Exception {
        current = issue("n");
        start();
        server.serve(new KubeletNode(device.device, NODE, "pod", port));
        assertThat(server.served()).hasSize(1);
        try (ServerSocket taken = new ServerSocket(0)) {
            assertThatThrownBy(() -> server.serve(new KubeletNode(new DeviceId("ns", "dev2"), "dev2", "pod2",
                    taken.getLocalPort()))).isInstanceOf(IOException.class)
                    .hasMessageContaining(":" + taken.getLocalPort()).hasMessageContaining("ns/dev2");
        }
        server.stop(device.device);
        assertThat(server.served()).isEmpty();
    }

    private void awaitServing() throws Exception {
        for (int i = 0; i < 100; i++) {
            try {
                get("/healthz", true);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("the kubelet port never answered");
    }

    private SSLContext clientContext(boolean withClientCertificate) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        KeyManagerFactory keyManagers = null;
        if (withClientCertificate) {
            KeyPair key = keyPair();
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", key.getPrivate(), new char[0],
                    new X509Certificate[] {certificate("CN=kube-apiserver-kubelet-client,O=system:masters", key, caKey, ca, false)});
            keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, new char[0]);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers == null ? null : keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        return context;
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256);
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate certificate(String subject, KeyPair key, KeyPair issuerKey, X509Certificate issuer,
            boolean isCa) {
        try {
            Instant now = Instant.now();
            X500Name issuerName = new X500Name(issuer == null ? subject : issuer.getSubjectX500Principal().getName());
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                    BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(1, ChronoUnit.HOURS)),
                    Date.from(now.plus(1, ChronoUnit.DAYS)), new X500Name(subject), key.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            if (!isCa) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
