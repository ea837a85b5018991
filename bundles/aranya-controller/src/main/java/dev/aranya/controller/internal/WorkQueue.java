package dev.aranya.controller.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A queue of keys to reconcile, with the guarantees a controller needs: a key waits in the queue at most once, is
 * never handed to two workers at the same time (a key added while it is being processed is handed out again when
 * that ends), failing keys come back with an exponential per-key delay, and all keys together are handed out at no
 * more than a configured rate, so a burst of events (thousands of devices connecting) cannot flood the apiserver.
 */
final class WorkQueue {
    private final ScheduledExecutorService timer;
    private final Duration baseDelay;
    private final Duration maxDelay;
    private final TokenBucket rate;

    private final ArrayDeque<String> ready = new ArrayDeque<>();
    private final Set<String> queued = new HashSet<>();
    private final Set<String> processing = new HashSet<>();
    private final Set<String> dirty = new HashSet<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final Set<String> coalescing = new HashSet<>();
    private boolean shutDown;

    /**
     * @param timer      runs delayed additions
     * @param baseDelay  delay after the first failure of a key; doubled at each further failure
     * @param maxDelay   the longest delay after failures
     * @param perSecond  keys handed out per second at most, with bursts of up to {@code burst}
     */
    WorkQueue(ScheduledExecutorService timer, Duration baseDelay, Duration maxDelay, double perSecond, int burst) {
        this.timer = timer;
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
        this.rate = new TokenBucket(perSecond, burst);
    }

    synchronized void add(String key) {
        if (shutDown || queued.contains(key)) {
            return;
        }
        if (processing.contains(key)) {
            dirty.add(key);
            return;
        }
        queued.add(key);
        ready.add(key);
        notifyAll();
    }

    void addAfter(String key, Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            add(key);
            return;
        }
        synchronized (this) {
            if (shutDown) {
                return;
            }
        }
        timer.schedule(() -> add(key), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Adds the key when the window ends; calls for the key meanwhile add nothing more. For what a device sends at will
     * (its peripherals' status): a device reporting in a loop gets one reconcile per window instead of taking the
     * queue's whole rate from the other devices.
     */
    void addCoalesced(String key, Duration window) {
        synchronized (this) {
            if (shutDown || !coalescing.add(key)) {
                return;
            }
        }
        timer.schedule(() -> {
            synchronized (this) {
                coalescing.remove(key);
            }
            add(key);
        }, window.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Adds the key again after its failure delay, which grows with each failure until {@link #forget}. */
    Duration addRateLimited(String key) {
        Duration delay;
        synchronized (this) {
            int count = failures.merge(key, 1, Integer::sum);
            delay = backoff(count);
        }
        addAfter(key, delay);
        return delay;
    }

    Duration backoff(int failureCount) {
        long factor = 1L << Math.min(failureCount - 1, 30);
        Duration delay = baseDelay.multipliedBy(factor);
        return delay.compareTo(maxDelay) > 0 || delay.isNegative() ? maxDelay : delay;
    }

    /** The key succeeded: its next failure starts again from the base delay. */
    synchronized void forget(String key) {
        failures.remove(key);
    }

    synchronized int failures(String key) {
        return failures.getOrDefault(key, 0);
    }

    /**
     * Waits for the next key and marks it as being processed; call {@link #done} after.
     *
     * @return empty once the queue is shut down
     */
    Optional<String> take() throws InterruptedException {
        String key;
        synchronized (this) {
            while (ready.isEmpty() && !shutDown) {
                wait();
            }
            if (shutDown) {
                return Optional.empty();
            }
            key = ready.poll();
            queued.remove(key);
            processing.add(key);
        }
        rate.acquire();
        return Optional.of(key);
    }

    synchronized void done(String key) {
        processing.remove(key);
        if (dirty.remove(key)) {
            add(key);
        }
    }

    synchronized int length() {
        return ready.size();
    }

    synchronized void shutDown() {
        shutDown = true;
        ready.clear();
        queued.clear();
        notifyAll();
    }

    /** A token bucket: {@code perSecond} tokens a second, at most {@code burst} saved. */
    static final class TokenBucket {
        private final double perSecond;
        private final int burst;
        private double tokens;
        private long refilledAt = System.nanoTime();

        TokenBucket(double perSecond, int burst) {
            if (perSecond <= 0 || burst < 1) {
                throw new IllegalArgumentException("rate " + perSecond + "/s with burst " + burst + " hands out nothing");
            }
            this.perSecond = perSecond;
            this.burst = burst;
            this.tokens = burst;
        }

        void acquire() throws InterruptedException {
            long waitNanos;
            synchronized (this) {
                long now = System.nanoTime();
                tokens = Math.min(burst, tokens + (now - refilledAt) / 1e9 * perSecond);
                refilledAt = now;
                tokens -= 1;
                // a negative balance is the debt this caller sleeps off; later callers queue behind it
                waitNanos = tokens >= 0 ? 0 : (long) (-tokens / perSecond * 1e9);
            }
            if (waitNanos > 0) {
                TimeUnit.NANOSECONDS.sleep(waitNanos);
            }
        }
    }
}
