package dev.aranya.kubelet.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

class KubeletAuthTest {
    private final AtomicLong clock = new AtomicLong();
    private final List<String> asked = new ArrayList<>();
    private boolean allow = true;
    private boolean apiserverDown;

    private final AccessReviews reviews = new AccessReviews() {
        @Override
        public CompletionStage<Optional<KubeletUser>> reviewToken(String token) {
            asked.add("token " + token);
            return CompletableFuture.completedFuture(token.equals("good")
                    ? Optional.of(new KubeletUser("alice", "u1", List.of("devs"), Map.of())) : Optional.empty());
        }

        @Override
        public CompletionStage<Decision> reviewAccess(KubeletUser user, String nodeName, RequestAttributes attributes) {
            asked.add("access " + user.name() + " " + user.groups() + " " + attributes.verb() + " nodes/"
                    + attributes.subresource() + " " + nodeName);
            if (apiserverDown) {
                return CompletableFuture.failedFuture(new IllegalStateException("connection refused"));
            }
            return CompletableFuture.completedFuture(new Decision(allow, allow ? "" : "no RBAC rule"));
        }
    };

    private final KubeletAuth auth = new KubeletAuth(reviews, true, Duration.ofSeconds(120), Duration.ofSeconds(300),
            Duration.ofSeconds(30), clock::get);

    /** A TLS session without a client certificate. */
    private static final SSLSession NO_CERTIFICATE = (SSLSession) Proxy.newProxyInstance(
            KubeletAuthTest.class.getClassLoader(), new Class<?>[] {SSLSession.class}, (proxy, method, args) -> {
                if (method.getName().equals("getPeerCertificates")) {
                    throw new SSLPeerUnverifiedException("peer not authenticated");
                }
                throw new UnsupportedOperationException(method.getName());
            });

    private KubeletAuth.Outcome check(HttpMethod method, String path, String token) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path);
        if (token != null) {
            request.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        return auth.check(NO_CERTIFICATE, request, path, "node1").toCompletableFuture().join();
    }

    @Test
    void noCredentialIs401AndAsksNothing() {
        assertThat(check(HttpMethod.POST, "/exec/ns/pod/c", null))
                .isEqualTo(new KubeletAuth.Rejected(HttpResponseStatus.UNAUTHORIZED, "Unauthorized"));
        assertThat(asked).isEmpty();
    }

    @Test
    void unknownTokenIs401() {
        assertThat(check(HttpMethod.GET, "/pods", "forged"))
                .isEqualTo(new KubeletAuth.Rejected(HttpResponseStatus.UNAUTHORIZED, "Unauthorized"));
        assertThat(asked).containsExactly("token forged");
    }

    @Test
    void execIsAuthorizedAsCreateOnNodesProxyAndCached() {
        assertThat(check(HttpMethod.POST, "/exec/ns/pod/c", "good")).isInstanceOf(KubeletAuth.Allowed.class);
        assertThat(check(HttpMethod.POST, "/exec/ns/pod/c", "good")).isInstanceOf(KubeletAuth.Allowed.class);
        assertThat(asked).containsExactly("token good",
                "access alice [devs, system:authenticated] create nodes/proxy node1");
    }

    @Test
    void deniedAccessIs403WithTheAttributesAndIsCachedShorter() {
        allow = false;
        assertThat(check(HttpMethod.GET, "/stats/summary", "good")).isEqualTo(new KubeletAuth.Rejected(
                HttpResponseStatus.FORBIDDEN, "Forbidden (user=alice, verb=get, resource=nodes, subresource=stats)"));
        clock.addAndGet(Duration.ofSeconds(29).toNanos());
        check(HttpMethod.GET, "/stats/summary", "good");
        assertThat(asked).hasSize(2);
        clock.addAndGet(Duration.ofSeconds(2).toNanos());
        check(HttpMethod.GET, "/stats/summary", "good");
        assertThat(asked).hasSize(3).last().asString().startsWith("access");
    }

    @Test
    void anApiserverThatCannotBeAskedIs500NotAllowed() {
        apiserverDown = true;
        assertThat(check(HttpMethod.GET, "/containerLogs/ns/pod/c", "good"))
                .isInstanceOfSatisfying(KubeletAuth.Rejected.class,
                        r -> assertThat(r.status()).isEqualTo(HttpResponseStatus.INTERNAL_SERVER_ERROR));
    }

    @Test
    void subresourcesFollowTheKubeletMapping() {
        assertThat(RequestAttributes.of(HttpMethod.GET, "/containerLogs/ns/p/c"))
                .isEqualTo(new RequestAttributes("get", "proxy"));
        assertThat(RequestAttributes.of(HttpMethod.GET, "/metrics/resource"))
                .isEqualTo(new RequestAttributes("get", "metrics"));
        assertThat(RequestAttributes.of(HttpMethod.GET, "/logs/syslog")).isEqualTo(new RequestAttributes("get", "log"));
        assertThat(RequestAttributes.of(HttpMethod.GET, "/spec/")).isEqualTo(new RequestAttributes("get", "spec"));
        assertThat(RequestAttributes.of(HttpMethod.POST, "/portForward/ns/p"))
                .isEqualTo(new RequestAttributes("create", "proxy"));
        assertThat(RequestAttributes.of(HttpMethod.GET, "/statsx")).isEqualTo(new RequestAttributes("get", "proxy"));
    }
}
