package dev.aranya.controller.internal;

import dev.aranya.api.metrics.MetricsWriter;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** How the reconcile loop fares: outcomes and time spent, kept across leadership changes of one component. */
final class ReconcileMetrics {
    enum Outcome { SUCCESS, RETRY, CONFLICT, ERROR }

    private final Map<Outcome, LongAdder> counts = Map.of(Outcome.SUCCESS, new LongAdder(), Outcome.RETRY,
            new LongAdder(), Outcome.CONFLICT, new LongAdder(), Outcome.ERROR, new LongAdder());
    private final LongAdder nanos = new LongAdder();

    void record(Outcome outcome, long elapsedNanos) {
        counts.get(outcome).increment();
        nanos.add(elapsedNanos);
    }

    void collect(String namespace, MetricsWriter writer) {
        long total = 0;
        for (Map.Entry<Outcome, LongAdder> entry : counts.entrySet()) {
            long count = entry.getValue().sum();
            total += count;
            writer.counter("aranya_reconciles_total", "EdgeDevice reconciles by outcome (retry: waiting for something; "
                    + "conflict: the cache was behind; error: failed)", Map.of("namespace", namespace,
                    "outcome", entry.getKey().name().toLowerCase()), count);
        }
        writer.counter("aranya_reconcile_seconds_sum", "Time spent reconciling EdgeDevices",
                Map.of("namespace", namespace), nanos.sum() / 1e9);
        writer.counter("aranya_reconcile_seconds_count", "Reconciles timed", Map.of("namespace", namespace), total);
    }
}
