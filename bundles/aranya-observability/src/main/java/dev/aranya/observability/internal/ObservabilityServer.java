package dev.aranya.observability.internal;

import dev.aranya.api.metrics.MetricsSource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * Aranya's HTTP endpoint for operators and probes: {@code /metrics} gathers every {@link MetricsSource} service,
 * {@code /livez} answers while the runtime runs, {@code /readyz} while the apiserver answers the configured client.
 * Requests are handled off the event loop, so a slow source or apiserver never blocks the connection handling.
 */
// immediate: it serves HTTP from the start; no one asks for its service object
@Component(service = ObservabilityServer.class, immediate = true, configurationPid = ObservabilityConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ObservabilityConfig.class)
public final class ObservabilityServer {
    private static final Logger LOG = LoggerFactory.getLogger(ObservabilityServer.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final List<MetricsSource> sources = new CopyOnWriteArrayList<>();
    private volatile KubernetesClient client;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ExecutorService handlers = Executors.newSingleThreadExecutor(r -> daemon(r, "aranya-observability"));
    private final ScheduledExecutorService readinessChecks =
            Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "aranya-readiness"));
    private volatile String notReadyReason = "the apiserver has not been checked yet";
    private final Channel server;

    @Activate
    public ObservabilityServer(ObservabilityConfig config) throws IOException {
        InetSocketAddress address = new InetSocketAddress(config.bindAddress(), config.port());
        try {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channel.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192),
                                    new HttpObjectAggregator(16 * 1024), new Handler());
                        }
                    }).bind(address).sync().channel();
        } catch (Exception e) {
            shutdown();
            throw new IOException("cannot serve metrics and health on " + address + " (" + ObservabilityConfig.PID
                    + "/port): " + e.getMessage(), e);
        }
        readinessChecks.scheduleWithFixedDelay(this::checkReadiness, 0,
                Math.max(1, config.readinessCacheSeconds()), TimeUnit.SECONDS);
        InetSocketAddress bound = (InetSocketAddress) server.localAddress();
        LOG.info("Metrics and health endpoint on http://{}:{}/ (/metrics, /livez, /readyz)", bound.getHostString(),
                bound.getPort());
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addSource(MetricsSource source) {
        sources.add(source);
    }

    void removeSource(MetricsSource source) {
        sources.remove(source);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setClient(KubernetesClient kube) {
        client = kube;
        readinessChecks.execute(this::checkReadiness);
    }

    void unsetClient(KubernetesClient kube) {
        if (client == kube) {
            client = null;
            notReadyReason = "no Kubernetes client (see etc/dev.aranya.kube.cfg and the log)";
        }
    }

    /** The bound port (the configured one, or the one picked for port 0). */
    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Deactivate
    void deactivate() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        shutdown();
    }

    private void shutdown() {
        readinessChecks.shutdownNow();
        handlers.shutdownNow();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }

    private void checkReadiness() {
        KubernetesClient kube = client;
        if (kube == null) {
            notReadyReason = "no Kubernetes client (see etc/dev.aranya.kube.cfg and the log)";
            return;
        }
        try {
            kube.getKubernetesVersion();
            if (notReadyReason != null) {
                LOG.info("Ready: the apiserver at {} answers", kube.getMasterUrl());
            }
            notReadyReason = null;
        } catch (RuntimeException e) {
            String reason = "the apiserver at " + kube.getMasterUrl() + " does not answer: " + e.getMessage();
            if (notReadyReason == null) {
                LOG.warn("Not ready: {}", reason);
            }
            notReadyReason = reason;
        }
    }

    String metrics() {
        PrometheusText text = new PrometheusText();
        for (MetricsSource source : sources) {
            try {
                source.collect(text);
            } catch (RuntimeException e) {
                LOG.warn("Metrics source {} failed; its metrics are left out of this scrape", source.getClass().getName(), e);
            }
        }
        if (text.rejected() > 0) {
            LOG.warn("{} malformed metric samples were left out of this scrape", text.rejected());
        }
        return text.render();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String path = new QueryStringDecoder(request.uri()).path();
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
                respond(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "GET only\n");
                return;
            }
            handlers.execute(() -> {
                switch (path) {
                    case "/metrics" -> respond(ctx, keepAlive, HttpResponseStatus.OK, PROMETHEUS_TEXT, metrics());
                    case "/livez" -> respond(ctx, keepAlive, HttpResponseStatus.OK, "text/plain", "ok\n");
                    case "/readyz", "/healthz" -> {
                        String reason = notReadyReason;
                        if (reason == null) {
                            respond(ctx, keepAlive, HttpResponseStatus.OK, "text/plain", "ok\n");
                        } else {
                            respond(ctx, keepAlive, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain",
                                    "not ready: " + reason + "\n");
                        }
                    }
                    default -> respond(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, "text/plain",
                            "not found; try /metrics, /livez or /readyz\n");
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("Metrics connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    private static void respond(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status,
                                String contentType, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        HttpUtil.setKeepAlive(response, keepAlive);
        var write = ctx.writeAndFlush(response);
        if (!keepAlive) {
            write.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }
}
