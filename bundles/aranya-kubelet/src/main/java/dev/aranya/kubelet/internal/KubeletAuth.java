package dev.aranya.kubelet.internal;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates and authorizes every kubelet request as a kubelet does with webhook authorization: a client
 * certificate the TLS handshake verified against the client CA (user = CN, groups = O), else a bearer token checked
 * with a TokenReview; then a SubjectAccessReview on the node. Answers are cached for the configured times.
 */
final class KubeletAuth {
    private static final Logger LOG = LoggerFactory.getLogger(KubeletAuth.class);

    /** What becomes of a request. */
    sealed interface Outcome permits Allowed, Rejected {
    }

    record Allowed(KubeletUser user) implements Outcome {
    }

    /** @param message the response body: says what was missing or refused, never a credential */
    record Rejected(HttpResponseStatus status, String message) implements Outcome {
    }

    private record AccessKey(KubeletUser user, String node, RequestAttributes attributes) {
    }

    private final AccessReviews reviews;
    private final boolean tokens;
    private final Duration authenticatedTtl;
    private final Duration authorizedTtl;
    private final Duration unauthorizedTtl;
    private final ExpiringCache<String, KubeletUser> tokenCache;
    private final ExpiringCache<AccessKey, AccessReviews.Decision> accessCache;

    KubeletAuth(AccessReviews reviews, boolean tokens, Duration authenticatedTtl, Duration authorizedTtl,
            Duration unauthorizedTtl, LongSupplier nanoClock) {
        this.reviews = reviews;
        this.tokens = tokens;
        this.authenticatedTtl = authenticatedTtl;
        this.authorizedTtl = authorizedTtl;
        this.unauthorizedTtl = unauthorizedTtl;
        this.tokenCache = new ExpiringCache<>(nanoClock);
        this.accessCache = new ExpiringCache<>(nanoClock);
    }

    /**
     * @param tls      the connection's TLS session (its peer certificate, if any, is already verified)
     * @param nodeName the node the request's port serves
     */
    CompletionStage<Outcome> check(SSLSession tls, HttpRequest request, String path, String nodeName) {
        RequestAttributes attributes = RequestAttributes.of(request.method(), path);
        return authenticate(tls, request).thenCompose(user -> {
            if (user.isEmpty()) {
                return CompletableFuture.completedFuture((Outcome) new Rejected(HttpResponseStatus.UNAUTHORIZED,
                        "Unauthorized"));
            }
            return authorize(user.get(), nodeName, attributes);
        }).exceptionally(failure -> {
            LOG.warn("Kubelet {}: cannot check {} {}: {}", nodeName, request.method(), path, failure.toString());
            return new Rejected(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "Authentication or authorization error: the apiserver could not be asked");
        });
    }

    private CompletionStage<Optional<KubeletUser>> authenticate(SSLSession tls, HttpRequest request) {
        Optional<KubeletUser> certificateUser = certificateUser(tls);
        if (certificateUser.isPresent()) {
            return CompletableFuture.completedFuture(certificateUser);
        }
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION, "");
        if (!tokens || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        String token = authorization.substring(7).trim();
        if (token.isEmpty()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        String key = sha256(token);
        KubeletUser cached = tokenCache.get(key);
        if (cached != null) {
            return CompletableFuture.completedFuture(Optional.of(cached));
        }
        return reviews.reviewToken(token).thenApply(reviewed -> {
            Optional<KubeletUser> user = reviewed.map(KubeletAuth::withAuthenticatedGroup);
            user.ifPresent(u -> tokenCache.put(key, u, authenticatedTtl));
            return user;
        });
    }

    private CompletionStage<Outcome> authorize(KubeletUser user, String nodeName, RequestAttributes attributes) {
        AccessKey key = new AccessKey(user, nodeName, attributes);
        AccessReviews.Decision cached = accessCache.get(key);
        CompletionStage<AccessReviews.Decision> decision = cached != null
                ? CompletableFuture.completedFuture(cached)
                : reviews.reviewAccess(user, nodeName, attributes).thenApply(d -> {
                    accessCache.put(key, d, d.allowed() ? authorizedTtl : unauthorizedTtl);
                    return d;
                });
        return decision.thenApply(d -> {
            if (d.allowed()) {
                return new Allowed(user);
            }
            String message = "Forbidden (user=" + user.name() + ", verb=" + attributes.verb()
                    + ", resource=nodes, subresource=" + attributes.subresource() + ")";
            LOG.info("Kubelet {}: {}{}", nodeName, message, d.reason().isEmpty() ? "" : ": " + d.reason());
            return new Rejected(HttpResponseStatus.FORBIDDEN, message);
        });
    }

    static Optional<KubeletUser> certificateUser(SSLSession tls) {
        Certificate[] chain;
        try {
            chain = tls.getPeerCertificates();
        } catch (SSLPeerUnverifiedException noCertificate) {
            return Optional.empty();
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            return Optional.empty();
        }
        String commonName = "";
        List<String> groups = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    commonName = rdn.getValue().toString();
                } else if (rdn.getType().equalsIgnoreCase("O")) {
                    groups.add(rdn.getValue().toString());
                }
            }
        } catch (InvalidNameException unparsable) {
            return Optional.empty();
        }
        if (commonName.isEmpty()) {
            return Optional.empty();
        }
        groups.add(KubeletUser.AUTHENTICATED_GROUP);
        return Optional.of(new KubeletUser(commonName, "", groups, Map.of()));
    }

    private static KubeletUser withAuthenticatedGroup(KubeletUser user) {
        if (user.groups().contains(KubeletUser.AUTHENTICATED_GROUP)) {
            return user;
        }
        List<String> groups = new ArrayList<>(user.groups());
        groups.add(KubeletUser.AUTHENTICATED_GROUP);
        return new KubeletUser(user.name(), user.uid(), groups, user.extra());
    }

    private static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
