package dev.aranya.transport.tcp.internal;

import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.CertificationRequests;
import dev.aranya.protocol.v1.EnrolRequest;
import dev.aranya.protocol.v1.Frame;
import com.google.protobuf.ByteString;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's raw TCP link: dials Aranya over TLS, presents the device certificate, and verifies Aranya's
 * certificate against the configured CA and the server name. Without a configured certificate it uses the one it
 * got by enrolment, and enrols with the bootstrap token when it has none yet.
 */
@Component(service = CloudLink.class, property = DeviceTransport.METHOD_PROPERTY + "=" + TcpDeviceTransport.METHOD)
public final class TcpCloudLink implements CloudLink {
    private static final Logger LOG = LoggerFactory.getLogger(TcpCloudLink.class);
    private static final Duration ENROL_ANSWER_TIMEOUT = Duration.ofSeconds(60);

    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("arhat-tcp-link", true), NioIoHandler.newFactory());

    @Activate
    public TcpCloudLink() {
        // one I/O thread: an agent has one connection at a time
    }

    @Deactivate
    void stop() {
        loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    @Override
    public String method() {
        return TcpDeviceTransport.METHOD;
    }

    @Override
    public DeviceConnection connect(Map<String, String> settings, FrameHandler handler) throws IOException {
        TcpLinkSettings link;
        try {
            link = TcpLinkSettings.of(settings);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        Path certificate = link.certificate().orElse(null);
        Path key = link.key().orElse(null);
        if (certificate == null) {
            EnrolledIdentity enrolled = new EnrolledIdentity(link.dataDirectory().orElseThrow());
            if (!enrolled.exists()) {
                enrol(link, enrolled);
            }
            certificate = enrolled.certificate();
            key = enrolled.key();
        }
        Path certificateFile = certificate;
        DeviceId device = DeviceId.ofCertificateSubject(certificate(certificateFile).getSubjectX500Principal())
                .orElseThrow(() -> new IOException("the device certificate " + certificateFile
                        + " does not name a device (subject O=<namespace>, CN=<name>)"));
        if (!link.deviceName().isEmpty() && !device.equals(new DeviceId(link.deviceNamespace(), link.deviceName()))) {
            throw new IOException("the device certificate " + certificateFile + " names device " + device + ", but this agent is "
                    + link.deviceNamespace() + "/" + link.deviceName());
        }
        SslContextBuilder builder = SslContextBuilder.forClient().keyManager(certificate.toFile(), key.toFile());
        Channel channel = dial(builder, link, frames -> frames.attach(device, connection -> handler));
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        LOG.info("Connected to Aranya at {}:{} as device {} ({}, ALPN {})", link.host(), link.port(), device,
                ssl.engine().getSession().getProtocol(), ssl.applicationProtocol());
        return channel.pipeline().get(FrameChannel.class);
    }

    /**
     * Exchanges the bootstrap token for a certificate of a key made here (docs/protocol.md, "Enrolment"): over TLS
     * that verifies Aranya but presents no client certificate, one EnrolRequest with a CSR, one answer.
     */
    private void enrol(TcpLinkSettings link, EnrolledIdentity enrolled) throws IOException {
        DeviceId device = new DeviceId(link.deviceNamespace(), link.deviceName());
        if (link.bootstrapTokenFile().isEmpty()) {
            throw new IOException("no device certificate: set link.certificate and link.key, or link.bootstrapTokenFile to enrol "
                    + "(the certificate is then kept in " + enrolled.certificate().getParent() + ")");
        }
        String token;
        try {
            token = Files.readString(link.bootstrapTokenFile().get()).strip();
        } catch (IOException e) {
            throw new IOException("cannot read the bootstrap token file " + link.bootstrapTokenFile().get() + ": " + e.getMessage(), e);
        }
        if (token.isEmpty() || device.name().isEmpty()) {
            throw new IOException(token.isEmpty() ? "the bootstrap token file " + link.bootstrapTokenFile().get() + " is empty"
                    : "enrolment needs the device's namespace and name");
        }
        KeyPair keys;
        byte[] request;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            keys = generator.generateKeyPair();
            request = CertificationRequests.create(keys, device.namespace(), device.name());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make the device's key and certification request: " + e.getMessage(), e);
        }
        CompletableFuture<Frame> answer = new CompletableFuture<>();
        FrameHandler answers = new FrameHandler() {
            @Override
            public void onFrame(Frame frame) {
                answer.complete(frame);
            }

            @Override
            public void onClosed(String reason) {
                answer.completeExceptionally(new IOException("Aranya closed the connection without answering the enrolment: " + reason));
            }
        };
        Channel channel = dial(SslContextBuilder.forClient(), link, frames -> frames.handle(answers));
        FrameChannel frames = channel.pipeline().get(FrameChannel.class);
        long connectionId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        LOG.info("Enrolling as device {} with Aranya at {}:{} (bootstrap token from {})", device, link.host(), link.port(),
                link.bootstrapTokenFile().get());
        frames.send(Frame.newBuilder().setConnectionId(connectionId).setSequence(1).setEnrolRequest(EnrolRequest.newBuilder()
                .setDeviceNamespace(device.namespace()).setDeviceName(device.name()).setBootstrapToken(token)
                .setCsr(ByteString.copyFrom(request))).build());
        Frame reply;
        try {
            reply = answer.get(ENROL_ANSWER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("Aranya did not answer the enrolment within " + ENROL_ANSWER_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while enrolling", e);
        } finally {
            frames.close("enrolment done");
        }
        if (reply.hasError()) {
            throw new IOException("Aranya refused the enrolment of device " + device + " (" + reply.getError().getCode().name() + "): "
                    + reply.getError().getMessage());
        }
        List<byte[]> chain = reply.getEnrolResponse().getCertificateChainList().stream().map(ByteString::toByteArray).toList();
        X509Certificate leaf;
        try {
            leaf = chain.isEmpty() ? null : EnrolledIdentity.certificates(chain).get(0);
        } catch (CertificateException e) {
            throw new IOException("Aranya's enrolment answer holds no readable certificate: " + e.getMessage(), e);
        }
        if (leaf == null || !leaf.getPublicKey().equals(keys.getPublic())) {
            throw new IOException("Aranya's enrolment answer (" + reply.getBodyCase() + ") holds no certificate for the device's key");
        }
        enrolled.store(keys.getPrivate(), chain);
        LOG.info("Enrolled as device {}: certificate {} valid until {}, kept in {}", device, leaf.getSerialNumber().toString(16),
                leaf.getNotAfter().toInstant(), enrolled.certificate().getParent());
    }

    /** Connects and completes the TLS handshake (Aranya's certificate verified against caCertificate and serverName). */
    private Channel dial(SslContextBuilder builder, TcpLinkSettings link, Consumer<FrameChannel> setUp) throws IOException {
        builder.protocols("TLSv1.3", "TLSv1.2").applicationProtocolConfig(FrameChannel.ALPN);
        link.caCertificate().ifPresent(ca -> builder.trustManager(ca.toFile()));
        SslContext tls = builder.build();
        String target = link.host() + ":" + link.port();
        ChannelFuture connected = new Bootstrap().group(loops).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) link.connectTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        SSLEngine engine = tls.newEngine(channel.alloc(), link.serverName(), link.port());
                        SSLParameters parameters = engine.getSSLParameters();
                        parameters.setEndpointIdentificationAlgorithm("HTTPS");
                        engine.setSSLParameters(parameters);
                        FrameChannel frames = new FrameChannel(channel, link.maxFrameSize(), "Aranya at " + target);
                        setUp.accept(frames);
                        channel.pipeline().addLast(new SslHandler(engine), frames);
                    }
                })
                .connect(link.host(), link.port());
        Channel channel = await(connected, link, "connect to " + target).channel();
        try {
            await(channel.pipeline().get(SslHandler.class).handshakeFuture(), link, "TLS handshake with " + target);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    private static <F extends Future<?>> F await(F future, TcpLinkSettings link, String what) throws IOException {
        if (!future.awaitUninterruptibly(link.connectTimeout().toMillis() + 1000)) {
            future.cancel(false);
            throw new IOException(what + " timed out after " + link.connectTimeout().toSeconds() + " s");
        }
        if (!future.isSuccess()) {
            if (future instanceof ChannelFuture channelFuture) {
                channelFuture.channel().close();
            }
            throw new IOException(what + " failed: " + future.cause().getMessage(), future.cause());
        }
        return future;
    }

    private static X509Certificate certificate(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (CertificateException e) {
            throw new IOException("cannot read the device certificate " + file + ": " + e.getMessage(), e);
        }
    }
}
