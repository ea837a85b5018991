package dev.aranya.controller.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The election against an apiserver that goes away: a small HTTP server stands for the apiserver's Lease API and is
 * stopped (connections refused, which the client retries with backoff) and started again on the same port.
 */
class LeaderElectionTest {
    private static final String NAMESPACE = "ns";
    private static final LeaderElection.Timing TIMING = new LeaderElection.Timing(Duration.ofSeconds(4),
            Duration.ofSeconds(2), Duration.ofMillis(250));

    private final FakeLeases leases = new FakeLeases();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private HttpServer server;
    private KubernetesClient client;
    private LeaderElection election;

    @BeforeEach
    void startServerAndClient() throws IOException {
        server = leases.serve(0);
        client = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                        .withMasterUrl("http://127.0.0.1:" + server.getAddress().getPort()).withNamespace(NAMESPACE).build())
                .withHttpClientFactory(new JdkHttpClientFactory()).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (election != null) {
            election.stop();
        }
        client.close();
        server.stop(0);
    }

    @Test
    void aLeaderCutOffFromTheApiserverStopsBeforeItsLeaseExpiresAndLeadsAgainWhenItIsBack() throws Exception {
        election = election("me");
        election.start();
        assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("started");

        int port = server.getAddress().getPort();
        server.stop(0);
        assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("stopped lost=true");
        Duration sinceLastRenewal = Duration.between(leases.lastWrite, Instant.now());
        assertThat(sinceLastRenewal).as("a standby may take over after the lease duration").isLessThan(TIMING.leaseDuration());

        server = leases.serve(port);
        assertThat(events.poll(20, TimeUnit.SECONDS)).isEqualTo("started");
        assertThat(leases.lease.getSpec().getHolderIdentity()).isEqualTo("me");
    }

    @Test
    void aCandidateIsToldWhoElseLeads() throws Exception {
        leases.lease = new LeaseBuilder().withNewMetadata().withName("aranya-leader").withNamespace(NAMESPACE)
                .withResourceVersion("1").endMetadata().withNewSpec().withHolderIdentity("other").withLeaseDurationSeconds(15)
                .withRenewTime(Instant.now().atZone(ZoneOffset.UTC)).endSpec().build();
        election = election("me");
        election.start();

        assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("another other");
        assertThat(events).doesNotContain("started");
    }

    private LeaderElection election(String identity) {
        return new LeaderElection(client, NAMESPACE, "aranya-leader", identity, TIMING, new LeaderElection.Listener() {
            @Override
            public void startedLeading() {
                events.add("started");
            }

            @Override
            public void stoppedLeading(boolean lost) {
                events.add("stopped lost=" + lost);
            }

            @Override
            public void anotherLeads(String holder) {
                events.add("another " + holder);
            }
        }, Executors.newSingleThreadScheduledExecutor(), Clock.systemUTC());
    }

    /** The apiserver's Lease API for one Lease, with resourceVersion checks, kept across restarts of the server. */
    private static final class FakeLeases {
        volatile Lease lease;
        volatile Instant lastWrite;
        private int version = 1;

        HttpServer serve(int port) throws IOException {
            HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            http.createContext("/apis/coordination.k8s.io/v1/namespaces/" + NAMESPACE + "/leases", this::handle);
            http.start();
            return http;
        }

        private synchronized void handle(HttpExchange exchange) throws IOException {
            String method = exchange.getRequestMethod();
            if ("GET".equals(method)) {
                if (lease == null) {
                    respond(exchange, 404, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404}");
                } else {
                    respond(exchange, 200, Serialization.asJson(lease));
                }
                return;
            }
            Lease written = Serialization.unmarshal(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), Lease.class);
            if ("PUT".equals(method) && (lease == null || !lease.getMetadata().getResourceVersion().equals(written.getMetadata().getResourceVersion()))) {
                respond(exchange, 409, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Conflict\",\"code\":409}");
                return;
            }
            written.getMetadata().setResourceVersion(String.valueOf(++version));
            lease = written;
            lastWrite = Instant.now();
            respond(exchange, "POST".equals(method) ? 201 : 200, Serialization.asJson(lease));
        }

        private static void respond(HttpExchange exchange, int code, String body) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(code, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        }
    }
}
