package dev.aranya.observability.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
    @Test
    void familiesFromSeveralSourcesShareOneHeader() {
        PrometheusText text = new PrometheusText();
        text.gauge("aranya_sessions", "Connected devices", Map.of("transport", "tcp"), 3);
        text.counter("aranya_reconciles_total", "Reconciles", Map.of(), 12);
        text.gauge("aranya_sessions", "Connected devices", Map.of("transport", "mqtt"), 1);

        assertThat(text.render()).isEqualTo("""
                # HELP aranya_sessions Connected devices
                # TYPE aranya_sessions gauge
                aranya_sessions{transport="tcp"} 3
                aranya_sessions{transport="mqtt"} 1
                # HELP aranya_reconciles_total Reconciles
                # TYPE aranya_reconciles_total counter
                aranya_reconciles_total 12
                """);
    }

    @Test
    void labelValuesAreEscapedAndLabelsSorted() {
        PrometheusText text = new PrometheusText();
        text.gauge("x", "h", Map.of("b", "say \"hi\"\\n", "a", "line\nbreak"), 0.5);

        assertThat(text.render()).endsWith("x{a=\"line\\nbreak\",b=\"say \\\"hi\\\"\\\\n\"} 0.5\n");
    }

    @Test
    void malformedSamplesAreDroppedAndCounted() {
        PrometheusText text = new PrometheusText();
        text.gauge("bad name", "h", Map.of(), 1);
        text.gauge("ok", "h", Map.of("bad-label", "v"), 1);
        text.gauge("typed", "h", Map.of(), 1);
        text.counter("typed", "h", Map.of(), 2);

        assertThat(text.rejected()).isEqualTo(3);
        assertThat(text.render()).contains("typed 1\n").doesNotContain("typed 2").doesNotContain("bad");
    }

    @Test
    void specialValuesUseThePrometheusSpelling() {
        PrometheusText text = new PrometheusText();
        text.gauge("a", "h", Map.of("k", "nan"), Double.NaN);
        text.gauge("a", "h", Map.of("k", "inf"), Double.POSITIVE_INFINITY);

        assertThat(text.render()).contains("a{k=\"nan\"} NaN\n").contains("a{k=\"inf\"} +Inf\n");
    }
}
