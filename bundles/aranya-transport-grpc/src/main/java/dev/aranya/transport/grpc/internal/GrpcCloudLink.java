package dev.aranya.transport.grpc.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.v1.Frame;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the {@code grpc} method: one {@code Connect} call per connection, over mutual TLS with the
 * device certificate. Settings: {@code host} (required), {@code port} (10444), {@code certificate} and {@code key}
 * (the device's PEM files, required), {@code caCertificate} (PEM trusted for Aranya's certificate; empty: the
 * JVM's trust store), {@code serverName} (default: host), {@code maxFrameSize} (1048576),
 * {@code connectTimeoutSeconds} (10), {@code keepaliveTimeSeconds} (30).
 */
@Component(service = CloudLink.class, property = DeviceTransport.METHOD_PROPERTY + "=" + Aranya.METHOD_GRPC)
public final class GrpcCloudLink implements CloudLink {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcCloudLink.class);

    @Override
    public String method() {
        return Aranya.METHOD_GRPC;
    }

    @Override
    public DeviceConnection connect(Map<String, String> settings, FrameHandler handler) throws IOException {
        String host = required(settings, "host");
        int port = number(settings, "port", 10444, 1, 65535);
        File certificate = GrpcDeviceTransport.readable(settings.get("certificate"), "certificate");
        File key = GrpcDeviceTransport.readable(settings.get("key"), "key");
        String ca = settings.get("caCertificate");
        int maxFrameSize = number(settings, "maxFrameSize", ProtocolLimits.DEFAULT_MAX_FRAME_SIZE,
                ProtocolLimits.MIN_FRAME_SIZE_LIMIT, ProtocolLimits.MAX_FRAME_SIZE_LIMIT);
        String serverName = settings.getOrDefault("serverName", "").isBlank() ? host : settings.get("serverName").trim();
        DeviceId device = DeviceId.ofCertificateSubject(leaf(certificate).getSubjectX500Principal())
                .orElseThrow(() -> new IllegalArgumentException("grpc setting certificate: its subject must be "
                        + "O=<namespace>, CN=<EdgeDevice name>"));

        SslContextBuilder tls = GrpcSslContexts.forClient().keyManager(certificate, key);
        if (ca != null && !ca.isBlank()) {
            tls.trustManager(GrpcDeviceTransport.readable(ca, "caCertificate"));
        }
        ManagedChannel channel = NettyChannelBuilder.forAddress(host, port)
                .sslContext(tls.build())
                .overrideAuthority(serverName)
                .maxInboundMessageSize(maxFrameSize)
                .keepAliveTime(number(settings, "keepaliveTimeSeconds", 30, 10, Integer.MAX_VALUE), TimeUnit.SECONDS)
                .build();
        ClientCall<Frame, Frame> call = channel.newCall(AgentLink.CONNECT, CallOptions.DEFAULT);
        GrpcDeviceConnection connection = new GrpcDeviceConnection(device, "Aranya at " + host + ":" + port,
                maxFrameSize, new GrpcDeviceConnection.Call() {
                    @Override
                    public void send(Frame frame) {
                        call.sendMessage(frame);
                    }

                    @Override
                    public void end(String reason) {
                        call.halfClose(); // protocol.md: after a Goodbye the agent half-closes
                        channel.shutdown();
                    }
                }, closed -> channel.shutdown());
        connection.setHandler(handler);
        CompletableFuture<Void> accepted = new CompletableFuture<>();
        AtomicReference<Status> refusal = new AtomicReference<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onHeaders(Metadata headers) {
                accepted.complete(null);
            }

            @Override
            public void onMessage(Frame frame) {
                connection.receive(frame);
                synchronized (connection) {
                    call.request(1);
                }
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                if (!accepted.isDone()) {
                    refusal.set(status);
                    accepted.complete(null);
                }
                channel.shutdown();
                connection.ended(status.isOk() ? "Aranya ended the call" + describe(status)
                        : "the call ended: " + status.getCode() + describe(status));
            }
        }, new Metadata());
        synchronized (connection) {
            call.request(1);
        }
        int timeout = number(settings, "connectTimeoutSeconds", 10, 1, 3600);
        try {
            accepted.get(timeout, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            connection.close("no answer from Aranya in " + timeout + " s");
            channel.shutdownNow();
            throw new IOException("no answer from Aranya at " + host + ":" + port + " in " + timeout + " s");
        } catch (InterruptedException | ExecutionException e) {
            channel.shutdownNow();
            throw new IOException("interrupted while connecting to Aranya", e);
        }
        Status refused = refusal.get();
        if (refused != null) {
            channel.shutdownNow();
            throw new IOException("Aranya at " + host + ":" + port + " refused the connection: " + refused.getCode()
                    + describe(refused), refused.asException());
        }
        LOG.info("Connected to Aranya at {}:{} over gRPC as {}", host, port, device);
        return connection;
    }

    private static String describe(Status status) {
        String text = status.getDescription() != null ? status.getDescription()
                : status.getCause() != null ? status.getCause().toString() : null;
        return text == null ? "" : " (" + text + ")";
    }

    private static X509Certificate leaf(File certificate) {
        try (InputStream in = new FileInputStream(certificate)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException("grpc setting certificate: " + certificate + " is not a PEM certificate", e);
        }
    }

    private static String required(Map<String, String> settings, String name) {
        String value = settings.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("grpc setting " + name + " is required");
        }
        return value.trim();
    }

    private static int number(Map<String, String> settings, String name, int fallback, int min, int max) {
        String value = settings.get(name);
        int number;
        try {
            number = value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("grpc setting " + name + " must be a number, was '" + value + "'");
        }
        if (number < min || number > max) {
            throw new IllegalArgumentException("grpc setting " + name + " must be within " + min + ".." + max
                    + ", was " + number);
        }
        return number;
    }
}
