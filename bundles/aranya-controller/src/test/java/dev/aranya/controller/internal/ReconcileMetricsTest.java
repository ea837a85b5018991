package dev.aranya.controller.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.metrics.MetricsWriter;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ReconcileMetricsTest {
    @Test
    void outcomesAndTimeAreCountedPerNamespace() {
        ReconcileMetrics metrics = new ReconcileMetrics();
        metrics.record(ReconcileMetrics.Outcome.SUCCESS, 2_000_000_000L);
        metrics.record(ReconcileMetrics.Outcome.SUCCESS, 500_000_000L);
        metrics.record(ReconcileMetrics.Outcome.CONFLICT, 500_000_000L);

        Map<String, Double> samples = new TreeMap<>();
        metrics.collect("edge", new MetricsWriter() {
            @Override
            public void gauge(String name, String help, Map<String, String> labels, double value) {
                throw new AssertionError("no gauges expected: " + name);
            }

            @Override
            public void counter(String name, String help, Map<String, String> labels, double value) {
                samples.put(name + new TreeMap<>(labels), value);
            }
        });

        assertThat(samples).containsEntry("aranya_reconciles_total{namespace=edge, outcome=success}", 2.0)
                .containsEntry("aranya_reconciles_total{namespace=edge, outcome=conflict}", 1.0)
                .containsEntry("aranya_reconciles_total{namespace=edge, outcome=error}", 0.0)
                .containsEntry("aranya_reconcile_seconds_sum{namespace=edge}", 3.0)
                .containsEntry("aranya_reconcile_seconds_count{namespace=edge}", 3.0);
    }
}
