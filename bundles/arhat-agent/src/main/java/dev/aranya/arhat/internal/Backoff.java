package dev.aranya.arhat.internal;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/** Exponential reconnect delays with jitter: initial, initial × factor, … up to the maximum, each ± jitter. */
final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private final double factor;
    private final double jitter;
    private final DoubleSupplier random;
    private double nextMillis;

    /** @param random uniform in [0, 1) */
    Backoff(Duration initial, Duration max, double factor, double jitter, DoubleSupplier random) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0 || factor < 1 || jitter < 0 || jitter > 1) {
            throw new IllegalArgumentException("reconnect backoff needs 0 < initial <= max, factor >= 1 and jitter in 0..1; got initial "
                    + initial.toMillis() + " ms, max " + max.toMillis() + " ms, factor " + factor + ", jitter " + jitter);
        }
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.factor = factor;
        this.jitter = jitter;
        this.random = random;
        this.nextMillis = initialMillis;
    }

    /** The delay before the next attempt; each call grows the one after. */
    Duration next() {
        double base = nextMillis;
        nextMillis = Math.min(maxMillis, nextMillis * factor);
        return jittered(base);
    }

    /** The longest delay (after a refusal that retrying soon cannot fix). */
    Duration longest() {
        nextMillis = maxMillis;
        return jittered(maxMillis);
    }

    /** A connection succeeded: the next failure starts over at the initial delay. */
    void reset() {
        nextMillis = initialMillis;
    }

    private Duration jittered(double millis) {
        double spread = millis * jitter * (2 * random.getAsDouble() - 1);
        return Duration.ofMillis(Math.max(1, Math.round(millis + spread)));
    }
}
