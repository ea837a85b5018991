package dev.aranya.transport.grpc.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.certs.DeviceCaTrustManager;
import dev.aranya.api.certs.DeviceIdentities;
import dev.aranya.api.certs.DeviceIdentities.DeviceIdentityException;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.v1.Frame;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
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
 * Aranya's side of the {@code grpc} method: a mutual-TLS gRPC server of {@code /aranya.v1.AgentLink/Connect}.
 * A call is accepted when the client certificate, issued by the configured {@code clientCa} or else by the
 * DeviceIdentities device CA (optional, dynamic reference; then also not revoked), names a registered device
 * ({@link DeviceId#ofCertificateSubject}); each accepted call is one connection. Stopping the component ends only
 * these calls and frees the port.
 */
@Component(service = DeviceTransport.class, property = DeviceTransport.METHOD_PROPERTY + "=" + Aranya.METHOD_GRPC,
        configurationPid = GrpcTransportConfig.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = GrpcTransportConfig.class)
public final class GrpcDeviceTransport implements DeviceTransport {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcDeviceTransport.class);

    /** How long a call waits for the device CA's answer whether its certificate is revoked. */
    private static final long AUTHENTICATE_TIMEOUT_SECONDS = 30;

    private final Server server;
    private final int maxFrameSize;
    /** Without a CA file of its own the transport trusts, and asks about revocation, the DeviceIdentities device CA. */
    private final boolean deviceCa;
    private final AtomicReference<DeviceIdentities> identities = new AtomicReference<>();
    private final Map<DeviceId, DeviceConnectionListener> registered = new ConcurrentHashMap<>();
    private final Set<GrpcDeviceConnection> connections = ConcurrentHashMap.newKeySet();

    @Activate
    public GrpcDeviceTransport(GrpcTransportConfig config) throws IOException, ProtocolException {
        maxFrameSize = ProtocolLimits.resolveMaxFrameSize(config.maxFrameSize());
        SslContextBuilder builder = GrpcSslContexts.configure(SslContextBuilder.forServer(
                        readable(config.tlsCertificate(), "tlsCertificate"), readable(config.tlsKey(), "tlsKey")))
                .clientAuth(ClientAuth.REQUIRE);
        deviceCa = config.clientCa() == null || config.clientCa().isBlank();
        if (deviceCa) {
            builder.trustManager(new DeviceCaTrustManager(identities::get));
        } else {
            builder.trustManager(readable(config.clientCa(), "clientCa"));
        }
        SslContext tls = builder.build();
        ServerServiceDefinition service = ServerServiceDefinition.builder(AgentLink.SERVICE)
                .addMethod(AgentLink.CONNECT, this::startCall)
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress(config.bindAddress(), config.port()))
                .sslContext(tls)
                .maxInboundMessageSize(maxFrameSize)
                .keepAliveTime(config.keepaliveTimeSeconds(), TimeUnit.SECONDS)
                .keepAliveTimeout(config.keepaliveTimeoutSeconds(), TimeUnit.SECONDS)
                .permitKeepAliveTime(config.permitKeepaliveTimeSeconds(), TimeUnit.SECONDS)
                .addService(service)
                .build()
                .start();
        LOG.info("gRPC transport listening on {} (mutual TLS, devices issued by {}, largest frame {} bytes)",
                server.getListenSockets(), deviceCa ? "the device CA of aranya-certs" : config.clientCa(), maxFrameSize);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindIdentities(DeviceIdentities service) {
        identities.set(service);
    }

    void unbindIdentities(DeviceIdentities service) {
        identities.compareAndSet(service, null);
    }

    /** The port the server listens on. */
    int port() {
        return server.getPort();
    }

    @Override
    public String method() {
        return Aranya.METHOD_GRPC;
    }

    @Override
    public void register(EdgeDevice device, DeviceConnectionListener listener) {
        registered.put(new DeviceId(device.getMetadata().getNamespace(), device.getMetadata().getName()), listener);
    }

    @Override
    public void unregister(DeviceId device) {
        if (registered.remove(device) != null) {
            closeConnectionsOf(device, "the EdgeDevice was deleted or no longer uses grpc");
        }
    }

    @Deactivate
    void deactivate() {
        for (GrpcDeviceConnection connection : List.copyOf(connections)) {
            connection.close("the gRPC transport is stopping");
        }
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        LOG.info("gRPC transport stopped");
    }

    private void closeConnectionsOf(DeviceId device, String reason) {
        for (GrpcDeviceConnection connection : List.copyOf(connections)) {
            if (connection.device().equals(device)) {
                connection.close(reason);
            }
        }
    }

    private ServerCall.Listener<Frame> startCall(ServerCall<Frame, Frame> call, Metadata headers) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        List<X509Certificate> chain = chainOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        Optional<DeviceId> device;
        DeviceIdentities checkedBy = null;
        if (deviceCa && !chain.isEmpty()) {
            // revocation (a deleted EdgeDevice or identity Secret) is the device CA's to say; calls run on gRPC's
            // executor, not on the event loop, so waiting for its answer holds up only this call
            try {
                checkedBy = identities.get();
                device = Optional.of(authenticate(checkedBy, chain));
            } catch (DeviceIdentityException e) {
                return refuse(call, remote, Status.UNAUTHENTICATED.withDescription("the client certificate "
                        + chain.get(0).getSubjectX500Principal() + " is refused: " + e.getMessage()));
            }
        } else {
            device = chain.isEmpty() ? Optional.empty() : DeviceId.ofCertificateSubject(chain.get(0).getSubjectX500Principal());
        }
        if (device.isEmpty()) {
            return refuse(call, remote, Status.UNAUTHENTICATED.withDescription(
                    "the client certificate names no device (its subject must be O=<namespace>, CN=<EdgeDevice name>)"));
        }
        DeviceConnectionListener listener = registered.get(device.get());
        if (listener == null) {
            return refuse(call, remote, Status.PERMISSION_DENIED.withDescription(
                    "device " + device.get() + " is not served by this Aranya's grpc transport"));
        }
        GrpcDeviceConnection connection = new GrpcDeviceConnection(device.get(), "agent at " + remote, maxFrameSize,
                new GrpcDeviceConnection.Call() {
                    @Override
                    public void send(Frame frame) {
                        call.sendMessage(frame);
                    }

                    @Override
                    public void end(String reason) {
                        call.close(Status.OK.withDescription(reason), new Metadata());
                    }
                }, connections::remove);
        connections.add(connection);
        if (checkedBy != null) {
            DeviceIdentities.Watch revocation = checkedBy.watchRevocation(device.get(), chain.get(0), connection::close);
            connection.onEnded(revocation::close);
        }
        synchronized (connection) {
            call.sendHeaders(new Metadata()); // the agent's connect() returns once it sees them
        }
        try {
            FrameHandler handler = listener.connected(connection);
            connection.setHandler(handler);
        } catch (RuntimeException e) {
            LOG.warn("The session layer refused {}: {}", connection, e.toString());
            connection.close("refused: " + e.getMessage());
        }
        LOG.info("{} connected", connection);
        synchronized (connection) {
            call.request(1);
        }
        return new ServerCall.Listener<>() {
            @Override
            public void onMessage(Frame frame) {
                connection.receive(frame);
                synchronized (connection) {
                    call.request(1);
                }
            }

            @Override
            public void onHalfClose() {
                connection.close("the agent ended its call");
            }

            @Override
            public void onCancel() {
                // also how gRPC ends a call whose message exceeded maxFrameSize
                connection.ended("the agent's call ended without a goodbye (cancelled, connection lost or a "
                        + "message above " + maxFrameSize + " bytes)");
            }
        };
    }

    private static ServerCall.Listener<Frame> refuse(ServerCall<Frame, Frame> call, SocketAddress remote, Status status) {
        LOG.warn("Refused a gRPC agent at {}: {}", remote, status.getDescription());
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }

    private static List<X509Certificate> chainOf(SSLSession session) {
        if (session == null) {
            return List.of();
        }
        try {
            return Arrays.stream(session.getPeerCertificates()).filter(X509Certificate.class::isInstance)
                    .map(X509Certificate.class::cast).toList();
        } catch (SSLPeerUnverifiedException e) {
            return List.of();
        }
    }

    private static DeviceId authenticate(DeviceIdentities service, List<X509Certificate> chain) throws DeviceIdentityException {
        if (service == null) {
            throw new DeviceIdentityException("the device CA (bundle aranya-certs) is not running");
        }
        try {
            return service.authenticate(chain).toCompletableFuture().get(AUTHENTICATE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof DeviceIdentityException refused ? refused
                    : new DeviceIdentityException("the device CA failed: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new DeviceIdentityException("the device CA did not answer within " + AUTHENTICATE_TIMEOUT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeviceIdentityException("interrupted");
        }
    }

    static File readable(String path, String setting) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("grpc setting " + setting + " is required");
        }
        File file = new File(path.trim());
        if (!file.canRead()) {
            throw new IllegalArgumentException("grpc setting " + setting + ": cannot read " + file);
        }
        return file;
    }
}
