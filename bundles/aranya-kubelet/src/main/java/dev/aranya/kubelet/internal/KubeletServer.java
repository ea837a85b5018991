package dev.aranya.kubelet.internal;

import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.kubelet.KubeletEndpoints;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.transport.DeviceId;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves each device's kubelet API on its own HTTPS port, all ports on one event loop group. A port is bound as soon
 * as the device is served; until its Node has a serving certificate, connections to it are refused with a logged
 * reason.
 */
@Component(service = KubeletEndpoints.class, configurationPid = KubeletConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = KubeletConfig.class)
public final class KubeletServer implements KubeletEndpoints {
    private static final Logger LOG = LoggerFactory.getLogger(KubeletServer.class);
    /** HTTP requests to a kubelet carry no real bodies; exec and port-forward upgrade away from HTTP. */
    private static final int MAX_REQUEST_BYTES = 64 * 1024;
    private static final long CLIENT_CA_RETRY_SECONDS = 30;

    private record Served(KubeletNode node, Channel server, ChannelGroup connections) {
    }

    private final KubeletConfig config;
    private final DeviceSessions sessions;
    private final KubeletAuth auth;
    private final NodeTlsContexts tls;
    private final NodeStatusResponses status = new NodeStatusResponses();
    private final EventLoopGroup group;
    private final Map<DeviceId, Served> served = new ConcurrentHashMap<>();
    private final Map<String, Boolean> reportedWithoutCertificate = new ConcurrentHashMap<>();

    @Activate
    public KubeletServer(KubeletConfig config, @Reference DeviceSessions sessions,
            @Reference NodeCertificates certificates, @Reference KubernetesClient client) {
        this(config, sessions, certificates, () -> ClientCertificateAuthorities.load(config.clientCaFile(), client),
                new ApiServerAccessReviews(client));
    }

    KubeletServer(KubeletConfig config, DeviceSessions sessions, NodeCertificates certificates,
            ClientCaSource clientCas, AccessReviews reviews) {
        this.config = config;
        this.sessions = sessions;
        this.auth = new KubeletAuth(reviews, config.tokenAuthentication(),
                Duration.ofSeconds(config.authenticatedCacheSeconds()),
                Duration.ofSeconds(config.authorizedCacheSeconds()),
                Duration.ofSeconds(config.unauthorizedCacheSeconds()), System::nanoTime);
        this.tls = new NodeTlsContexts(certificates);
        this.group = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("aranya-kubelet", true),
                NioIoHandler.newFactory());
        loadClientCas(clientCas);
    }

    /** Where the client CAs come from; may block (it reads a file or asks the apiserver). */
    @FunctionalInterface
    interface ClientCaSource {
        List<X509Certificate> load() throws IOException;
    }

    /** Off the activating thread, and again later while it fails: until then connections are refused. */
    private void loadClientCas(ClientCaSource source) {
        CompletableFuture.runAsync(() -> {
            try {
                List<X509Certificate> cas = source.load();
                tls.clientCas(cas);
                LOG.info("Kubelet endpoints accept client certificates of {}",
                        cas.stream().map(c -> c.getSubjectX500Principal().getName()).toList());
            } catch (IOException | RuntimeException failure) {
                LOG.error("Kubelet endpoints refuse connections: no client CA ({}); retrying in {} s",
                        failure.getMessage(), CLIENT_CA_RETRY_SECONDS);
                if (!group.isShuttingDown()) {
                    group.schedule(() -> loadClientCas(source), CLIENT_CA_RETRY_SECONDS, TimeUnit.SECONDS);
                }
            }
        });
    }

    @Override
    public synchronized void serve(KubeletNode node) throws IOException {
        Served current = served.get(node.device());
        if (current != null) {
            if (current.node().equals(node)) {
                return;
            }
            stop(node.device());
        }
        ChannelGroup connections = new DefaultChannelGroup("kubelet-" + node.nodeName(), GlobalEventExecutor.INSTANCE);
        NodeEndpoint endpoint = new NodeEndpoint(node, sessions, auth,
                Duration.ofSeconds(config.streamCreationTimeoutSeconds()));
        DeviceLogContext logContext = new DeviceLogContext(node.device());
        ChannelFuture bound = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        Optional<SslContext> context = tls.forNode(node.nodeName());
                        if (context.isEmpty()) {
                            if (tls.hasClientCas()
                                    && reportedWithoutCertificate.putIfAbsent(node.nodeName(), true) == null) {
                                LOG.warn("Kubelet {}: refusing connections until node {} has a serving certificate",
                                        node.device(), node.nodeName());
                            }
                            channel.close();
                            return;
                        }
                        reportedWithoutCertificate.remove(node.nodeName());
                        connections.add(channel);
                        channel.pipeline().addLast(logContext, context.get().newHandler(channel.alloc()), new HttpServerCodec(),
                                new HttpObjectAggregator(MAX_REQUEST_BYTES), new KubeletHttpHandler(endpoint, status));
                    }
                })
                .bind(new InetSocketAddress(config.bindAddress(), node.port())).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IOException("cannot listen on " + config.bindAddress() + ":" + node.port() + " for the kubelet of "
                    + node.device() + ": " + bound.cause().getMessage(), bound.cause());
        }
        served.put(node.device(), new Served(node, bound.channel(), connections));
        LOG.info("Kubelet {} (node {}, pod {}) serving on {}:{}", node.device(), node.nodeName(), node.podName(),
                config.bindAddress(), node.port());
    }

    @Override
    public synchronized void stop(DeviceId device) {
        Served gone = served.remove(device);
        if (gone == null) {
            return;
        }
        gone.server().close().awaitUninterruptibly();
        gone.connections().close().awaitUninterruptibly();
        tls.forget(gone.node().nodeName());
        LOG.info("Kubelet {} stopped serving on port {}", device, gone.node().port());
    }

    @Override
    public Collection<KubeletNode> served() {
        return served.values().stream().map(Served::node).toList();
    }

    @Deactivate
    void deactivate() throws Exception {
        for (DeviceId device : List.copyOf(served.keySet())) {
            stop(device);
        }
        tls.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
