package dev.aranya.transport.tcp.internal;

import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.api.transport.FrameHandler;
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
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's raw TCP link: dials Aranya over TLS, presents the device certificate, and verifies Aranya's
 * certificate against the configured CA and the server name.
 */
@Component(service = CloudLink.class, property = DeviceTransport.METHOD_PROPERTY + "=" + TcpDeviceTransport.METHOD)
public final class TcpCloudLink implements CloudLink {
    private static final Logger LOG = LoggerFactory.getLogger(TcpCloudLink.class);

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
        DeviceId device = DeviceId.ofCertificateSubject(certificate(link).getSubjectX500Principal())
                .orElseThrow(() -> new IOException("the device certificate " + link.certificate()
                        + " does not name a device (subject O=<namespace>, CN=<name>)"));
        SslContextBuilder builder = SslContextBuilder.forClient().keyManager(link.certificate().toFile(), link.key().toFile())
                .protocols("TLSv1.3", "TLSv1.2").applicationProtocolConfig(FrameChannel.ALPN);
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
                        frames.attach(device, connection -> handler);
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
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        LOG.info("Connected to Aranya at {} as device {} ({}, ALPN {})", target, device,
                ssl.engine().getSession().getProtocol(), ssl.applicationProtocol());
        return channel.pipeline().get(FrameChannel.class);
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

    private static X509Certificate certificate(TcpLinkSettings link) throws IOException {
        try (InputStream in = Files.newInputStream(link.certificate())) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (CertificateException e) {
            throw new IOException("cannot read the device certificate " + link.certificate() + ": " + e.getMessage(), e);
        }
    }
}
