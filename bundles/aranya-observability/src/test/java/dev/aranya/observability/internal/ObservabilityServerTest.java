package dev.aranya.observability.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.metrics.MetricsSource;
import java.lang.annotation.Annotation;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ObservabilityServerTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private ObservabilityServer server;

    @BeforeEach
    void start() throws Exception {
        server = new ObservabilityServer(new ObservabilityConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ObservabilityConfig.class;
            }

            @Override
            public String bindAddress() {
                return "127.0.0.1";
            }

            @Override
            public int port() {
                return 0;
            }

            @Override
            public int readinessCacheSeconds() {
                return 1;
            }
        });
    }

    @AfterEach
    void stop() {
        server.deactivate();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsGatherEverySourceAndSurviveAFailingOne() throws Exception {
        MetricsSource devices = w -> w.gauge("aranya_devices", "Devices", Map.of("state", "online"), 2);
        MetricsSource broken = w -> {
            throw new IllegalStateException("boom");
        };
        server.addSource(devices);
        server.addSource(broken);
        server.addSource(new RuntimeMetrics());

        HttpResponse<String> response = get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(response.body()).contains("aranya_devices{state=\"online\"} 2\n")
                .containsPattern("aranya_jvm_heap_used_bytes \\d+\n");

        server.removeSource(devices);
        assertThat(get("/metrics").body()).doesNotContain("aranya_devices");
    }

    @Test
    void livenessAnswersAndReadinessNeedsTheApiserver() throws Exception {
        assertThat(get("/livez").statusCode()).isEqualTo(200);

        HttpResponse<String> ready = get("/readyz");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).startsWith("not ready: ");
        assertThat(get("/nope").statusCode()).isEqualTo(404);
    }
}
