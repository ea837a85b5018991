package dev.aranya.kubelet.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** Answers kept for a while; bounded, so a flood of distinct users or tokens cannot grow it without limit. */
final class ExpiringCache<K, V> {
    private static final int MAX_ENTRIES = 4096;

    private record Entry<V>(V value, long expiresAtNanos) {
    }

    private final Map<K, Entry<V>> entries = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;

    ExpiringCache(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    V get(K key) {
        Entry<V> entry = entries.get(key);
        if (entry == null) {
            return null;
        }
        if (nanoClock.getAsLong() - entry.expiresAtNanos() >= 0) {
            entries.remove(key, entry);
            return null;
        }
        return entry.value();
    }

    void put(K key, V value, Duration ttl) {
        if (ttl.isZero() || ttl.isNegative()) {
            return;
        }
        if (entries.size() >= MAX_ENTRIES) {
            long now = nanoClock.getAsLong();
            entries.values().removeIf(e -> now - e.expiresAtNanos() >= 0);
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
        }
        entries.put(key, new Entry<>(value, nanoClock.getAsLong() + ttl.toNanos()));
    }
}
