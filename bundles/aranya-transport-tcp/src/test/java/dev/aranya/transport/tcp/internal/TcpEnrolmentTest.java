package dev.aranya.transport.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.SessionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.CertificationRequests;
import dev.aranya.protocol.FrameCodec;
import dev.aranya.protocol.FrameDecoder;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.ProtocolVersion;
import dev.aranya.protocol.v1.EnrolRequest;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Hello;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.session.agent.AgentConnection;
import dev.aranya.session.agent.AgentEndpoint;
import dev.aranya.session.agent.AgentSettings;
import dev.aranya.session.agent.Disconnect;
import dev.aranya.session.agent.HelloRefusedException;
import dev.aranya.session.internal.SessionRegistry;
import dev.aranya.session.internal.SessionSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tcp transport without a CA file: device certificates are checked against the DeviceIdentities device CA
 * (replaceable, with revocation), and an agent with only a bootstrap token enrols over the transport.
 */
class TcpEnrolmentTest {
    static final DeviceId DEVICE = new DeviceId("edge", "tcp-enrol");

    @TempDir
    Path folder;
    TestPki pki;
    TestPki.Issued serverCa;
    TestDeviceCa deviceCa;
    TcpDeviceTransport transport;
    TcpCloudLink link;
    SessionRegistry sessions;
    final ScheduledExecutorService cloudScheduler = Executors.newScheduledThreadPool(1);
    final ScheduledExecutorService agentScheduler = Executors.newScheduledThreadPool(1);
    final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    final BlockingQueue<String> offlineReasons = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(folder);
        serverCa = pki.ca("aranya-server-ca");
        deviceCa = new TestDeviceCa(pki, pki.ca("aranya-device-ca"));
        TestPki.Issued server = pki.server(serverCa, "localhost");
        transport = new TcpDeviceTransport(new TcpServerSettings("127.0.0.1", 0, server.certificateFile(), server.keyFile(),
                java.util.Optional.empty(), 64 << 10, 1));
        transport.bindIdentities(deviceCa);
        sessions = new SessionRegistry(new SessionSettings(Duration.ofSeconds(1), 5, Duration.ofSeconds(30), 1 << 16,
                1 << 20, 8, Duration.ofSeconds(5), Duration.ofSeconds(1), "test"), cloudScheduler);
        sessions.watch(new SessionListener() {
            @Override
            public void online(DeviceSession session) {
                events.add("online " + session.device());
            }

            @Override
            public void offline(DeviceId device, String reason) {
                events.add("offline " + device);
                offlineReasons.add(reason);
            }
        });
        transport.register(TcpTransportTest.edgeDevice(DEVICE), sessions.connectionListener());
        link = new TcpCloudLink();
    }

    @AfterEach
    void stop() {
        link.stop();
        transport.stop();
        sessions.stop();
        agentScheduler.shutdownNow();
        cloudScheduler.shutdownNow();
    }

    Map<String, String> agentSettings(Path dataDirectory, Path tokenFile) {
        Map<String, String> settings = new HashMap<>();
        settings.put("host", "localhost");
        settings.put("port", String.valueOf(transport.localAddress().getPort()));
        settings.put("caCertificate", serverCa.certificateFile().toString());
        settings.put("deviceNamespace", DEVICE.namespace());
        settings.put("deviceName", DEVICE.name());
        settings.put("dataDirectory", dataDirectory.toString());
        if (tokenFile != null) {
            settings.put("bootstrapTokenFile", tokenFile.toString());
        }
        return settings;
    }

    AgentConnection connect(Map<String, String> settings) throws Exception {
        AgentEndpoint endpoint = new AgentEndpoint(AgentSettings.defaults(DEVICE, "0.0.1-test", Set.of(Capabilities.EXEC)),
                new TcpTransportTest.EchoPort(), () -> NodeInfo.newBuilder().setHostname(DEVICE.name()).build(),
                NodeStatus::getDefaultInstance, agentScheduler);
        return endpoint.connect(link, settings);
    }

    Path token(String value) throws IOException {
        Path file = Files.createTempFile(folder, "token", "");
        Files.writeString(file, value + "\n");
        return file;
    }

    String nextEvent() throws InterruptedException {
        String event = events.poll(10, TimeUnit.SECONDS);
        assertThat(event).as("a session event").isNotNull();
        return event;
    }

    static X509Certificate stored(Path dataDirectory) throws Exception {
        try (InputStream in = Files.newInputStream(dataDirectory.resolve("device-identity/tls.crt"))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    @Test
    void anAgentWithOnlyABootstrapTokenEnrolsKeepsItsKeyPrivateAndLaterReusesItsCertificate() throws Exception {
        deviceCa.tokens.put(DEVICE, "one-time");
        Path data = folder.resolve("agent-data");

        AgentConnection first = connect(agentSettings(data, token("one-time")));

        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        assertThat(deviceCa.enrolments).hasValue(1);
        assertThat(Files.getPosixFilePermissions(data.resolve("device-identity/tls.key")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        X509Certificate certificate = stored(data);
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=tcp-enrol,O=edge");
        certificate.verify(deviceCa.ca.certificate().getPublicKey());
        first.close("restart");
        assertThat(nextEvent()).isEqualTo("offline " + DEVICE);

        connect(agentSettings(data, token("one-time")));

        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        assertThat(deviceCa.enrolments).as("the stored certificate is reused, the spent token not sent again").hasValue(1);
    }

    @Test
    void aTokenWorksOnceAndTheSecondAgentIsToldWhy() throws Exception {
        deviceCa.tokens.put(DEVICE, "one-time");
        connect(agentSettings(folder.resolve("first"), token("one-time")));
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);

        assertThatThrownBy(() -> connect(agentSettings(folder.resolve("second"), token("one-time"))))
                .isInstanceOf(IOException.class)
                .hasMessage("Aranya refused the enrolment of device edge/tcp-enrol (ERROR_CODE_UNAUTHENTICATED): device edge/tcp-enrol "
                        + "has no bootstrap token, or it was used already");
        assertThat(folder.resolve("second/device-identity/tls.crt")).doesNotExist();
    }

    @Test
    void aRevokedCertificateIsRefusedAtTheHello() throws Exception {
        deviceCa.tokens.put(DEVICE, "one-time");
        Path data = folder.resolve("agent-data");
        connect(agentSettings(data, token("one-time"))).close("restart");
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        assertThat(nextEvent()).isEqualTo("offline " + DEVICE);
        deviceCa.revoked.add(stored(data).getSerialNumber());

        assertThatThrownBy(() -> connect(agentSettings(data, null)))
                .isInstanceOfSatisfying(HelloRefusedException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_UNAUTHENTICATED))
                .hasMessageContaining("the client certificate is refused: device edge/tcp-enrol is revoked");
    }

    @Test
    void revokingAConnectedDeviceEndsItsConnection() throws Exception {
        deviceCa.tokens.put(DEVICE, "one-time");
        Path data = folder.resolve("agent-data");
        connect(agentSettings(data, token("one-time")));
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        assertThat(deviceCa.watched()).as("the connection's certificate is watched").isEqualTo(1);

        deviceCa.revoke(stored(data).getSerialNumber());

        assertThat(nextEvent()).isEqualTo("offline " + DEVICE);
        assertThat(offlineReasons.poll(10, TimeUnit.SECONDS)).contains("certificate "
                + stored(data).getSerialNumber().toString(16) + " was revoked");
        assertThatThrownBy(() -> connect(agentSettings(data, null))).isInstanceOf(HelloRefusedException.class)
                .hasMessageContaining("is revoked");
    }

    @Test
    void aClosedConnectionStopsWatchingItsCertificate() throws Exception {
        deviceCa.tokens.put(DEVICE, "one-time");
        AgentConnection connection = connect(agentSettings(folder.resolve("agent-data"), token("one-time")));
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);

        connection.close("the agent stops");

        assertThat(nextEvent()).isEqualTo("offline " + DEVICE);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (deviceCa.watched() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(deviceCa.watched()).isZero();
    }

    @Test
    void aCertificateOfAnotherCaFailsTheHandshakeAndAReplacedDeviceCaIsTrustedWithoutARestart() throws Exception {
        TestPki.Issued otherCa = pki.ca("other-ca");
        TestPki.Issued foreign = pki.device(otherCa, DEVICE.namespace(), DEVICE.name());
        Map<String, String> settings = agentSettings(folder.resolve("unused"), null);
        settings.put("certificate", foreign.certificateFile().toString());
        settings.put("key", foreign.keyFile().toString());

        assertThatThrownBy(() -> connect(settings)).isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(e).hasMessageFindingMatch("(?i)certificate|handshake|closed"));

        deviceCa.ca = otherCa; // the operator replaced the device CA
        connect(settings);
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
    }

    @Test
    void aConnectionWithoutACertificateMayOnlyEnrol() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustingAranya(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", transport.localAddress().getPort())) {
            socket.startHandshake();
            Frame hello = Frame.newBuilder().setConnectionId(7).setSequence(1).setHello(Hello.newBuilder()
                    .setDeviceNamespace(DEVICE.namespace()).setDeviceName(DEVICE.name())
                    .setProtocolVersion(ProtocolVersion.CURRENT)).build();
            socket.getOutputStream().write(FrameCodec.encode(hello, ProtocolLimits.MAX_FRAME_SIZE_LIMIT));
            socket.getOutputStream().flush();
            socket.setSoTimeout(10_000);

            Frame answer = new FrameDecoder(1 << 20).decode(ByteBuffer.wrap(socket.getInputStream().readAllBytes()));

            assertThat(answer.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_UNAUTHENTICATED);
            assertThat(answer.getError().getMessage()).contains("may only enrol");
        }
        assertThat(events.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void withoutTheDeviceCaServiceNobodyGetsIn() throws Exception {
        deviceCa.tokens.put(DEVICE, "one-time");
        transport.unbindIdentities(deviceCa);

        assertThatThrownBy(() -> connect(agentSettings(folder.resolve("agent-data"), token("one-time"))))
                .isInstanceOf(IOException.class).hasMessageContaining("(ERROR_CODE_UNAVAILABLE): enrolment needs the device CA");
        TestPki.Issued issued = pki.device(deviceCa.ca, DEVICE.namespace(), DEVICE.name());
        Map<String, String> settings = agentSettings(folder.resolve("unused"), null);
        settings.put("certificate", issued.certificateFile().toString());
        settings.put("key", issued.keyFile().toString());
        assertThatThrownBy(() -> connect(settings)).isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(e).hasMessageFindingMatch("(?i)certificate|handshake|closed"));
        assertThat(events.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void anEnrolledAgentRenewsItsCertificateWhileConnectedAndThenReconnectsWithIt() throws Exception {
        Path data = folder.resolve("agent-data");
        Instant now = Instant.now();
        // 100 s of lifetime: renewal due in 10 s, the reconnect in 20 s, expiry in 30 s
        X509Certificate enrolled = enrolledIdentity(data, now.minusSeconds(70), now.plusSeconds(30));
        String enrolledKey = Files.readString(data.resolve("device-identity/tls.key"));
        AgentConnection first = connect(agentSettings(data, null));
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);

        Disconnect end = first.disconnected().toCompletableFuture().get(60, TimeUnit.SECONDS);

        assertThat(end.reason()).contains("the device certificate was renewed: reconnecting with the new one");
        assertThat(deviceCa.renewals).hasValue(1);
        X509Certificate renewed = stored(data);
        assertThat(renewed.getSerialNumber()).isNotEqualTo(enrolled.getSerialNumber());
        assertThat(renewed.getSubjectX500Principal()).isEqualTo(enrolled.getSubjectX500Principal());
        assertThat(Files.readString(data.resolve("device-identity/tls.key"))).isNotEqualTo(enrolledKey);
        assertThat(Files.getPosixFilePermissions(data.resolve("device-identity/tls.key")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(data.resolve("device-identity")).isDirectoryNotContaining("glob:**.new");
        assertThat(nextEvent()).isEqualTo("offline " + DEVICE);

        deviceCa.revoke(enrolled.getSerialNumber()); // the old certificate would be refused now
        connect(agentSettings(data, null));
        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        assertThat(deviceCa.renewals).as("the new certificate is not due yet").hasValue(1);
    }

    @Test
    void anAgentStartingWithACertificateDueForRenewalRenewsBeforeItConnects() throws Exception {
        Path data = folder.resolve("agent-data");
        Instant now = Instant.now();
        X509Certificate enrolled = enrolledIdentity(data, now.minusSeconds(100), now.plusSeconds(20)); // 80 % was 4 s ago

        connect(agentSettings(data, null));

        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        assertThat(deviceCa.renewals).hasValue(1);
        assertThat(stored(data).getNotAfter()).isAfter(enrolled.getNotAfter());
        assertThat(deviceCa.watchedSerials()).as("the connection presented the new certificate")
                .containsExactly(stored(data).getSerialNumber());
    }

    @Test
    void aConnectionEndsWhenItsCertificateExpires() throws Exception {
        TestPki.Issued shortLived = pki.device(deviceCa.ca, DEVICE.namespace(), DEVICE.name(), Duration.ofSeconds(8));
        Map<String, String> settings = agentSettings(folder.resolve("unused"), null);
        settings.put("certificate", shortLived.certificateFile().toString());
        settings.put("key", shortLived.keyFile().toString());

        connect(settings);

        assertThat(nextEvent()).isEqualTo("online " + DEVICE);
        assertThat(offlineReasons.poll(30, TimeUnit.SECONDS)).contains("the client certificate expired");
    }

    /** What an earlier enrolment left in the data directory, with the given validity. */
    private X509Certificate enrolledIdentity(Path data, Instant notBefore, Instant notAfter) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        X509Certificate certificate = pki.device(deviceCa.ca, DEVICE.namespace(), DEVICE.name(), keys.getPublic(), notBefore, notAfter);
        new EnrolledIdentity(data).store(keys.getPrivate(), List.of(certificate.getEncoded()));
        return certificate;
    }

    @Test
    void aRenewalCarriesNoTokenAndRenewsOnlyTheDeviceItsCertificateNames() throws Exception {
        TestPki.Issued issued = pki.device(deviceCa.ca, DEVICE.namespace(), DEVICE.name());

        Frame withToken = renewalAnswer(issued, DEVICE, "a-token");
        Frame forAnother = renewalAnswer(issued, new DeviceId(DEVICE.namespace(), "another"), "");

        assertThat(withToken.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_BAD_REQUEST);
        assertThat(withToken.getError().getMessage()).contains("a renewal carries no bootstrap token");
        assertThat(forAnother.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_PERMISSION_DENIED);
        assertThat(forAnother.getError().getMessage()).contains("may renew only its own certificate, not edge/another's");
        assertThat(deviceCa.renewals).hasValue(0);
        Frame renewed = renewalAnswer(issued, DEVICE, "");
        assertThat(renewed.getEnrolResponse().getCertificateChainCount()).isEqualTo(1);
        assertThat(deviceCa.renewals).hasValue(1);
        assertThat(events.poll(300, TimeUnit.MILLISECONDS)).as("a renewal connection is never a session").isNull();
    }

    /** Sends one renewal request over TLS with the issued certificate and reads the one answer. */
    private Frame renewalAnswer(TestPki.Issued presented, DeviceId device, String token) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        byte[] request = CertificationRequests.create(generator.generateKeyPair(), device.namespace(), device.name());
        SSLContext context = presented.clientContext(serverCa);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", transport.localAddress().getPort())) {
            socket.startHandshake();
            Frame renewal = Frame.newBuilder().setConnectionId(9).setSequence(1).setEnrolRequest(EnrolRequest.newBuilder()
                    .setDeviceNamespace(device.namespace()).setDeviceName(device.name()).setBootstrapToken(token)
                    .setCsr(ByteString.copyFrom(request))).build();
            socket.getOutputStream().write(FrameCodec.encode(renewal, ProtocolLimits.MAX_FRAME_SIZE_LIMIT));
            socket.getOutputStream().flush();
            socket.setSoTimeout(10_000);
            return new FrameDecoder(1 << 20).decode(ByteBuffer.wrap(socket.getInputStream().readAllBytes()));
        }
    }

    private TrustManager[] trustingAranya() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", serverCa.certificate());
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(store);
        return factory.getTrustManagers();
    }
}
