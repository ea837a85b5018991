package dev.aranya.transport.tcp.internal;

import dev.aranya.api.certs.DeviceCaTrustManager;
import dev.aranya.api.certs.DeviceIdentities;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aranya's raw TCP server: agents dial it over mutual TLS; the client certificate names the device
 * ({@link DeviceId#ofCertificateSubject}). Only registered devices may talk: others get an error answer to their
 * Hello and are disconnected, each with a log line.
 *
 * <p>The client certificate is issued by the operator's CA file ({@code clientCa}) or, without one, by the device
 * CA of {@link DeviceIdentities} (optional, dynamic: the transport runs without aranya-certs when it has a CA file).
 * With the device CA, a certificate is also checked for revocation, when the device connects and for as long as
 * the connection lasts (revoking a device ends its connection), and a connection without one may enrol
 * ({@link Enrolment}).
 */
@Component(service = DeviceTransport.class, property = DeviceTransport.METHOD_PROPERTY + "=" + TcpDeviceTransport.METHOD,
        configurationPid = TcpTransportConfig.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = TcpTransportConfig.class)
public final class TcpDeviceTransport implements DeviceTransport {
    static final String METHOD = "tcp";
    /** How long a connection may take to send its first frame (Hello, or a request for a certificate). */
    private static final int FIRST_FRAME_WAIT_SECONDS = 10;
    private static final Logger LOG = LoggerFactory.getLogger(TcpDeviceTransport.class);

    private final TcpServerSettings settings;
    private final SslContext tls;
    private final EventLoopGroup loops;
    private final Channel server;
    private final Map<DeviceId, DeviceConnectionListener> registered = new ConcurrentHashMap<>();
    private final Set<FrameChannel> connections = ConcurrentHashMap.newKeySet();
    private final AtomicReference<DeviceIdentities> identities = new AtomicReference<>();

    @Activate
    public TcpDeviceTransport(TcpTransportConfig config) throws IOException, InterruptedException {
        this(TcpServerSettings.of(config));
    }

    TcpDeviceTransport(TcpServerSettings settings) throws IOException, InterruptedException {
        this.settings = settings;
        SslContextBuilder builder = SslContextBuilder.forServer(settings.certificate().toFile(), settings.key().toFile())
                .protocols("TLSv1.3", "TLSv1.2")
                .applicationProtocolConfig(FrameChannel.ALPN);
        if (settings.clientCa().isPresent()) {
            builder.trustManager(settings.clientCa().get().toFile()).clientAuth(ClientAuth.REQUIRE);
        } else {
            // without a client certificate a connection may only enrol (Authenticator)
            builder.trustManager(new DeviceCaTrustManager(identities::get)).clientAuth(ClientAuth.OPTIONAL);
        }
        this.tls = builder.build();
        this.loops = new MultiThreadIoEventLoopGroup(settings.ioThreads(), new DefaultThreadFactory("aranya-tcp", true),
                NioIoHandler.newFactory());
        try {
            this.server = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
                    // small frames (WindowUpdate, Pong) must not wait for Nagle's algorithm and the peer's delayed ACK
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            FrameChannel frames = new FrameChannel(channel, settings.maxFrameSize(), String.valueOf(channel.remoteAddress()));
                            channel.pipeline().addLast(tls.newHandler(channel.alloc()), new Authenticator(frames), frames);
                        }
                    })
                    .bind(settings.bindAddress(), settings.port()).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        LOG.info("Raw TCP transport listening on {} (mutual TLS, devices issued by {})", server.localAddress(),
                settings.clientCa().map(String::valueOf).orElse("the device CA of aranya-certs; agents may enrol"));
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindIdentities(DeviceIdentities service) {
        identities.set(service);
    }

    void unbindIdentities(DeviceIdentities service) {
        identities.compareAndSet(service, null);
    }

    @Deactivate
    void stop() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.forEach(connection -> connection.close("the tcp transport is stopping"));
        loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        LOG.info("Raw TCP transport stopped");
    }

    /** Where the server listens (the bound port when configured with port 0). */
    InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public void register(EdgeDevice device, DeviceConnectionListener listener) {
        DeviceId id = new DeviceId(device.getMetadata().getNamespace(), device.getMetadata().getName());
        var connectivity = device.getSpec() == null ? null : device.getSpec().connectivity();
        if (connectivity != null && connectivity.tcp() != null && connectivity.tcp().tlsSecretRef() != null) {
            throw new IllegalArgumentException("spec.connectivity.tcp.tlsSecretRef is not supported: the tcp transport "
                    + "presents the server certificate configured in " + TcpTransportConfig.PID + " to every device");
        }
        registered.put(id, listener);
    }

    @Override
    public void unregister(DeviceId device) {
        if (registered.remove(device) != null) {
            connections.stream().filter(connection -> device.equals(connection.device()))
                    .forEach(connection -> connection.close("the device " + device + " is no longer served over tcp"));
        }
    }

    /** After the TLS handshake: who the client certificate names, and whether that device may connect. */
    private final class Authenticator extends ChannelInboundHandlerAdapter {
        private final FrameChannel frames;

        Authenticator(FrameChannel frames) {
            this.frames = frames;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof SslHandshakeCompletionEvent handshake) {
                ctx.pipeline().remove(this);
                if (handshake.isSuccess()) {
                    authenticate(ctx, ctx.pipeline().get(SslHandler.class));
                } else {
                    LOG.warn("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(),
                            handshake.cause().getMessage());
                    ctx.close();
                }
            }
            super.userEventTriggered(ctx, event);
        }

        private void authenticate(ChannelHandlerContext ctx, SslHandler ssl) {
            List<X509Certificate> chain = List.of();
            try {
                chain = Arrays.stream(ssl.engine().getSession().getPeerCertificates())
                        .filter(X509Certificate.class::isInstance).map(X509Certificate.class::cast).toList();
            } catch (SSLPeerUnverifiedException e) {
                // no client certificate: possible only with the device CA (ClientAuth.OPTIONAL), for enrolment
            }
            if (settings.clientCa().isEmpty()) {
                if (chain.isEmpty()) {
                    Enrolment enrolment = Enrolment.withBootstrapToken(frames, identities.get());
                    frames.handle(enrolment);
                    ctx.executor().schedule(() -> {
                        if (!enrolment.asked()) {
                            LOG.warn("Closed {}: no client certificate, and no enrolment request within {} s", frames.peer(), FIRST_FRAME_WAIT_SECONDS);
                            frames.close("no client certificate and no enrolment request");
                        }
                    }, FIRST_FRAME_WAIT_SECONDS, TimeUnit.SECONDS);
                    return;
                }
                checkWithDeviceCa(ctx, chain);
                return;
            }
            admit(chain.isEmpty() ? Optional.empty() : DeviceId.ofCertificateSubject(chain.get(0).getSubjectX500Principal()));
        }

        /** Revocation (deleted EdgeDevice or identity Secret) is asked of the cluster; frames wait in the meantime. */
        private void checkWithDeviceCa(ChannelHandlerContext ctx, List<X509Certificate> chain) {
            DeviceIdentities service = identities.get();
            if (service == null) {
                LOG.warn("Refused {}: the device CA (bundle aranya-certs) is not running", frames.peer());
                frames.refuse(ErrorCode.ERROR_CODE_UNAVAILABLE, "Aranya's device CA is not running");
                return;
            }
            service.authenticate(chain).whenComplete((device, failure) -> ctx.executor().execute(() -> {
                if (failure == null) {
                    FirstFrame first = new FirstFrame(service, chain, device, ctx.executor());
                    frames.handle(first);
                    ctx.executor().schedule(() -> {
                        if (!first.arrived) {
                            LOG.warn("Closed the connection of device {} ({}): no Hello or renewal request within {} s", device,
                                    frames.peer(), FIRST_FRAME_WAIT_SECONDS);
                            frames.close("no Hello or renewal request");
                        }
                    }, FIRST_FRAME_WAIT_SECONDS, TimeUnit.SECONDS);
                    return;
                }
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                LOG.warn("Refused the certificate {} from {}: {}", chain.get(0).getSubjectX500Principal(), frames.peer(), cause.getMessage());
                frames.refuse(ErrorCode.ERROR_CODE_UNAUTHENTICATED, "the client certificate is refused: " + cause.getMessage());
            }));
        }

        /**
         * Of a connection the device CA authenticated: an {@code EnrolRequest} renews its certificate (it never
         * becomes a session), anything else opens the device's session, watched for revocation and ended when the
         * certificate expires. Runs on the event loop.
         */
        private final class FirstFrame implements FrameHandler {
            private final DeviceIdentities service;
            private final List<X509Certificate> chain;
            private final DeviceId device;
            private final EventExecutor eventLoop;
            private volatile boolean arrived;

            FirstFrame(DeviceIdentities service, List<X509Certificate> chain, DeviceId device, EventExecutor eventLoop) {
                this.service = service;
                this.chain = chain;
                this.device = device;
                this.eventLoop = eventLoop;
            }

            @Override
            public void onFrame(Frame frame) {
                arrived = true;
                if (frame.hasEnrolRequest()) {
                    Enrolment renewal = Enrolment.renewal(frames, service, chain, device);
                    frames.handle(renewal);
                    renewal.onFrame(frame);
                    return;
                }
                if (admit(Optional.of(device))) {
                    DeviceIdentities.Watch revocation = service.watchRevocation(device, chain.get(0), frames::close);
                    long untilExpiry = Math.max(0, chain.get(0).getNotAfter().getTime() - System.currentTimeMillis());
                    ScheduledFuture<?> expiry = eventLoop.schedule(() -> expired(chain.get(0)),
                            untilExpiry, TimeUnit.MILLISECONDS);
                    frames.channelClosed().addListener(closed -> {
                        revocation.close();
                        expiry.cancel(false);
                    });
                }
                frames.deliver(frame); // to the session, or the refusal's answer
            }

            private void expired(X509Certificate certificate) {
                LOG.warn("Ending the connection of device {} ({}): its client certificate {} expired at {}", device, frames.peer(),
                        certificate.getSerialNumber().toString(16), certificate.getNotAfter().toInstant());
                frames.close("the client certificate expired");
            }

            @Override
            public void onClosed(String reason) {
                // closed before its first frame: no session was opened
            }
        }

        /** @return whether the device may connect (else it was refused) */
        private boolean admit(Optional<DeviceId> device) {
            if (device.isEmpty()) {
                LOG.warn("Refused {}: its certificate does not name a device (subject O=<namespace>, CN=<name>)", frames.peer());
                frames.refuse(ErrorCode.ERROR_CODE_UNAUTHENTICATED,
                        "the client certificate does not name a device (subject O=<namespace>, CN=<name>)");
                return false;
            }
            DeviceConnectionListener listener = registered.get(device.get());
            if (listener == null) {
                LOG.warn("Refused device {} from {}: it is not an EdgeDevice served over tcp", device.get(), frames.peer());
                frames.refuse(ErrorCode.ERROR_CODE_NOT_FOUND,
                        "device " + device.get() + " is not an EdgeDevice served over tcp by this Aranya");
                return false;
            }
            connections.add(frames);
            frames.channelClosed().addListener(closed -> connections.remove(frames));
            frames.attach(device.get(), listener);
            return true;
        }
    }
}
