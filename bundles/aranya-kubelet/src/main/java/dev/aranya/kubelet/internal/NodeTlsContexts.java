package dev.aranya.kubelet.internal;

import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.certs.NodeCertificates.ServingCertificate;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS server context of each node: its current serving certificate, and client certificates verified against the
 * client CAs when one is offered (a bearer token may stand in for it). A renewed certificate replaces the context
 * for new connections; open ones keep theirs. There is no context before the client CAs are known.
 */
final class NodeTlsContexts implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeTlsContexts.class);

    private final NodeCertificates certificates;
    private final Map<String, SslContext> contexts = new ConcurrentHashMap<>();
    private final AutoCloseable subscription;
    private volatile X509Certificate[] clientCas;

    NodeTlsContexts(NodeCertificates certificates) {
        this.certificates = certificates;
        this.subscription = certificates.onIssued(this::issued);
    }

    void clientCas(List<X509Certificate> cas) {
        clientCas = cas.toArray(X509Certificate[]::new);
        contexts.clear();
    }

    boolean hasClientCas() {
        return clientCas != null;
    }

    /** The node's context, or empty while the node has no certificate or the client CAs are not known yet. */
    Optional<SslContext> forNode(String nodeName) {
        if (clientCas == null) {
            return Optional.empty();
        }
        SslContext context = contexts.get(nodeName);
        if (context != null) {
            return Optional.of(context);
        }
        return certificates.current(nodeName).flatMap(certificate -> {
            Optional<SslContext> built = build(certificate);
            built.ifPresent(c -> contexts.putIfAbsent(nodeName, c));
            return built;
        });
    }

    void forget(String nodeName) {
        contexts.remove(nodeName);
    }

    private void issued(ServingCertificate certificate) {
        if (clientCas == null) {
            return;
        }
        build(certificate).ifPresent(context -> {
            contexts.put(certificate.nodeName(), context);
            LOG.info("Kubelet {}: new connections present {}", certificate.nodeName(), certificate);
        });
    }

    private Optional<SslContext> build(ServingCertificate certificate) {
        try {
            return Optional.of(SslContextBuilder
                    .forServer(certificate.key(), certificate.chain().toArray(X509Certificate[]::new))
                    .trustManager(clientCas)
                    .clientAuth(ClientAuth.OPTIONAL)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_1_1))
                    .build());
        } catch (SSLException | RuntimeException unusable) {
            LOG.error("Kubelet {}: cannot use {}: {}", certificate.nodeName(), certificate, unusable.toString());
            return Optional.empty();
        }
    }

    @Override
    public void close() throws Exception {
        subscription.close();
        contexts.clear();
    }
}
