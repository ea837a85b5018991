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
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
    private static final Duration CERTIFICATE_ANSWER_TIMEOUT = Duration.ofSeconds(60);
    /** Of an enrolled certificate's lifetime, the share after which it is renewed (as Node serving certificates). */
    static final int RENEW_AT_PERCENT = 80;
    /** Of the lifetime of the certificate a connection was opened with, the share after which it reconnects with a renewed one. */
    static final int RECONNECT_AT_PERCENT = 90;
    private static final Duration RENEW_RETRY_FIRST = Duration.ofMinutes(1);
    private static final Duration RENEW_RETRY_MAX = Duration.ofHours(1);

    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("arhat-tcp-link", true), NioIoHandler.newFactory());
    /** Renewals block on their own connection, so they run off the I/O thread. */
    private final ScheduledThreadPoolExecutor renewals = renewalExecutor();
    /** Guards the enrolled identity's files: one enrolment or renewal at a time, and no reads during one. */
    private final Object identityLock = new Object();

    @Activate
    public TcpCloudLink() {
        // one I/O thread: an agent has one connection at a time
    }

    private static ScheduledThreadPoolExecutor renewalExecutor() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("arhat-tcp-renewal", true));
        executor.setRemoveOnCancelPolicy(true); // a closed connection's renewal, weeks ahead, is not kept until then
        return executor;
    }

    @Deactivate
    void stop() {
        renewals.shutdownNow();
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
        EnrolledIdentity enrolled = null;
        boolean renewalFailed = false;
        byte[] certificateBytes;
        byte[] keyBytes;
        // the files are read under the lock, so a renewal of an earlier connection cannot swap them half-way
        synchronized (identityLock) {
            if (certificate == null) {
                enrolled = new EnrolledIdentity(link.dataDirectory().orElseThrow());
                enrolled.recover();
                if (!enrolled.exists()) {
                    enrol(link, enrolled);
                } else if (!Instant.now().isBefore(renewAt(enrolled.leaf()))) {
                    renewalFailed = !renewBeforeConnecting(link, enrolled);
                }
                certificate = enrolled.certificate();
                key = enrolled.key();
            }
            certificateBytes = Files.readAllBytes(certificate);
            keyBytes = Files.readAllBytes(key);
        }
        X509Certificate leaf = EnrolledIdentity.leaf(certificate, certificateBytes);
        Path certificateFile = certificate;
        DeviceId device = DeviceId.ofCertificateSubject(leaf.getSubjectX500Principal())
                .orElseThrow(() -> new IOException("the device certificate " + certificateFile
                        + " does not name a device (subject O=<namespace>, CN=<name>)"));
        if (!link.deviceName().isEmpty() && !device.equals(new DeviceId(link.deviceNamespace(), link.deviceName()))) {
            throw new IOException("the device certificate " + certificateFile + " names device " + device + ", but this agent is "
                    + link.deviceNamespace() + "/" + link.deviceName());
        }
        SslContextBuilder builder = SslContextBuilder.forClient()
                .keyManager(new ByteArrayInputStream(certificateBytes), new ByteArrayInputStream(keyBytes));
        Dialled dialled = dial(builder, link, frames -> frames.attach(device, connection -> handler));
        SslHandler ssl = dialled.ssl();
        LOG.info("Connected to Aranya at {}:{} as device {} ({}, ALPN {})", link.host(), link.port(), device,
                ssl.engine().getSession().getProtocol(), ssl.applicationProtocol());
        FrameChannel connection = dialled.frames();
        if (enrolled != null) {
            // after a failed renewal, the next attempt waits for the first retry delay
            new RenewalWhileConnected(link, enrolled, leaf, connection).schedule(renewalFailed ? Instant.now().plus(RENEW_RETRY_FIRST)
                    : renewAt(leaf));
        }
        return connection;
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
        LOG.info("Enrolling as device {} with Aranya at {}:{} (bootstrap token from {})", device, link.host(), link.port(),
                link.bootstrapTokenFile().get());
        X509Certificate leaf = requestCertificate(link, SslContextBuilder.forClient(), device, token, enrolled, "enrolment");
        LOG.info("Enrolled as device {}: certificate {} valid until {}, kept in {}", device, leaf.getSerialNumber().toString(16),
                leaf.getNotAfter().toInstant(), enrolled.certificate().getParent());
    }

    /**
     * Replaces the enrolled certificate by one for a new key (docs/protocol.md, "Renewal"): over TLS with the current
     * certificate, one EnrolRequest without a token, one answer. Call with {@link #identityLock} held.
     */
    private X509Certificate renew(TcpLinkSettings link, EnrolledIdentity enrolled) throws IOException {
        X509Certificate current = enrolled.leaf();
        DeviceId device = DeviceId.ofCertificateSubject(current.getSubjectX500Principal()).orElseThrow(
                () -> new IOException("the enrolled certificate " + enrolled.certificate() + " does not name a device"));
        LOG.info("Renewing the device certificate {} of {} (valid until {}) with Aranya at {}:{}", current.getSerialNumber().toString(16),
                device, current.getNotAfter().toInstant(), link.host(), link.port());
        SslContextBuilder tls = SslContextBuilder.forClient()
                .keyManager(new ByteArrayInputStream(Files.readAllBytes(enrolled.certificate())),
                        new ByteArrayInputStream(Files.readAllBytes(enrolled.key())));
        X509Certificate renewed = requestCertificate(link, tls, device, "", enrolled, "renewal");
        LOG.info("Renewed the device certificate of {}: {} valid until {}, kept in {}", device, renewed.getSerialNumber().toString(16),
                renewed.getNotAfter().toInstant(), enrolled.certificate().getParent());
        return renewed;
    }

    /**
     * Due (or overdue) at start: renews first; on failure the current certificate is used while it is valid.
     *
     * @return whether it renewed
     */
    private boolean renewBeforeConnecting(TcpLinkSettings link, EnrolledIdentity enrolled) throws IOException {
        try {
            renew(link, enrolled);
            return true;
        } catch (IOException | RuntimeException e) {
            X509Certificate current = enrolled.leaf();
            LOG.warn("Renewing the device certificate failed, connecting with the current one (valid until {}): {}",
                    current.getNotAfter().toInstant(), e.getMessage());
            return false;
        }
    }

    /**
     * Sends one EnrolRequest for a new key over a TLS connection made from {@code tls}, and keeps the key and the
     * certificate Aranya answers with.
     *
     * @return the new certificate
     */
    private X509Certificate requestCertificate(TcpLinkSettings link, SslContextBuilder tls, DeviceId device, String token,
            EnrolledIdentity enrolled, String operation) throws IOException {
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
                answer.completeExceptionally(new IOException("Aranya closed the connection without answering the " + operation + ": " + reason));
            }
        };
        FrameChannel frames = dial(tls, link, connection -> connection.handle(answers)).frames();
        long connectionId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        frames.send(Frame.newBuilder().setConnectionId(connectionId).setSequence(1).setEnrolRequest(EnrolRequest.newBuilder()
                .setDeviceNamespace(device.namespace()).setDeviceName(device.name()).setBootstrapToken(token)
                .setCsr(ByteString.copyFrom(request))).build());
        Frame reply;
        try {
            reply = answer.get(CERTIFICATE_ANSWER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("Aranya did not answer the " + operation + " within " + CERTIFICATE_ANSWER_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during the " + operation, e);
        } finally {
            frames.close(operation + " done");
        }
        if (reply.hasError()) {
            throw new IOException("Aranya refused the " + operation + " of device " + device + " (" + reply.getError().getCode().name() + "): "
                    + reply.getError().getMessage());
        }
        List<byte[]> chain = reply.getEnrolResponse().getCertificateChainList().stream().map(ByteString::toByteArray).toList();
        X509Certificate leaf;
        try {
            leaf = chain.isEmpty() ? null : EnrolledIdentity.certificates(chain).get(0);
        } catch (CertificateException e) {
            throw new IOException("Aranya's " + operation + " answer holds no readable certificate: " + e.getMessage(), e);
        }
        if (leaf == null || !leaf.getPublicKey().equals(keys.getPublic())) {
            throw new IOException("Aranya's " + operation + " answer (" + reply.getBodyCase() + ") holds no certificate for the device's key");
        }
        enrolled.store(keys.getPrivate(), chain);
        return leaf;
    }

    /** When a certificate is renewed: at {@link #RENEW_AT_PERCENT} of its lifetime. */
    static Instant renewAt(X509Certificate certificate) {
        return share(certificate, RENEW_AT_PERCENT);
    }

    private static Instant share(X509Certificate certificate, int percent) {
        Instant notBefore = certificate.getNotBefore().toInstant();
        Duration lifetime = Duration.between(notBefore, certificate.getNotAfter().toInstant());
        return notBefore.plus(lifetime.multipliedBy(percent).dividedBy(100));
    }

    /**
     * Renews the enrolled certificate while a connection it opened lasts: at {@link #RENEW_AT_PERCENT} of its
     * lifetime, again after a failure (from a minute, doubling up to an hour). The connection goes on with the old
     * certificate, which Aranya keeps valid, until {@link #RECONNECT_AT_PERCENT} of its lifetime: then it is closed
     * and the agent reconnects with the new one, as a kubelet does after rotating its client certificate.
     */
    private final class RenewalWhileConnected {
        private final TcpLinkSettings link;
        private final EnrolledIdentity enrolled;
        private final X509Certificate connectedWith;
        private final FrameChannel connection;
        private Duration retry = RENEW_RETRY_FIRST;
        private volatile ScheduledFuture<?> pending;

        RenewalWhileConnected(TcpLinkSettings link, EnrolledIdentity enrolled, X509Certificate connectedWith, FrameChannel connection) {
            this.link = link;
            this.enrolled = enrolled;
            this.connectedWith = connectedWith;
            this.connection = connection;
            connection.channelClosed().addListener(closed -> cancelPending());
        }

        void schedule(Instant when) {
            later(this::renew, when);
        }

        private void later(Runnable task, Instant when) {
            try {
                pending = renewals.schedule(task, Math.max(0, Duration.between(Instant.now(), when).toMillis()), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                connection.close("the tcp link is stopping");
                return;
            }
            if (connection.channelClosed().isDone()) {
                cancelPending(); // closed while this was being scheduled
            }
        }

        private void cancelPending() {
            ScheduledFuture<?> task = pending;
            if (task != null) {
                task.cancel(false);
            }
        }

        private void renew() {
            try {
                synchronized (identityLock) {
                    if (connection.channelClosed().isDone()) {
                        return;
                    }
                    // a later connection may have renewed it already
                    if (enrolled.leaf().getSerialNumber().equals(connectedWith.getSerialNumber())) {
                        TcpCloudLink.this.renew(link, enrolled);
                    }
                }
                later(() -> connection.close("the device certificate was renewed: reconnecting with the new one"),
                        share(connectedWith, RECONNECT_AT_PERCENT));
            } catch (IOException | RuntimeException e) {
                LOG.warn("Renewing the device certificate failed (the connection goes on with the current one, valid until {}); "
                        + "retrying in {} s: {}", connectedWith.getNotAfter().toInstant(), retry.toSeconds(), e.getMessage());
                schedule(Instant.now().plus(retry));
                retry = retry.multipliedBy(2).compareTo(RENEW_RETRY_MAX) > 0 ? RENEW_RETRY_MAX : retry.multipliedBy(2);
            }
        }
    }

    /**
     * A connection whose TLS handshake completed. Its handlers are kept here because Aranya may already have closed
     * it (refusing the client certificate after the client's side of a TLS 1.3 handshake is done), which empties
     * the pipeline; the frame channel then reports that close to its handler.
     */
    private record Dialled(SslHandler ssl, FrameChannel frames) {
    }

    /** Connects and completes the TLS handshake (Aranya's certificate verified against caCertificate and serverName). */
    private Dialled dial(SslContextBuilder builder, TcpLinkSettings link, Consumer<FrameChannel> setUp) throws IOException {
        builder.protocols("TLSv1.3", "TLSv1.2").applicationProtocolConfig(FrameChannel.ALPN);
        link.caCertificate().ifPresent(ca -> builder.trustManager(ca.toFile()));
        SslContext tls = builder.build();
        String target = link.host() + ":" + link.port();
        CompletableFuture<Dialled> dialled = new CompletableFuture<>();
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
                        SslHandler ssl = new SslHandler(engine);
                        channel.pipeline().addLast(ssl, frames);
                        dialled.complete(new Dialled(ssl, frames));
                    }
                })
                .connect(link.host(), link.port());
        Channel channel = await(connected, link, "connect to " + target).channel();
        Dialled handlers = dialled.getNow(null); // set up before the connect completed
        try {
            await(handlers.ssl().handshakeFuture(), link, "TLS handshake with " + target);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return handlers;
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
}
