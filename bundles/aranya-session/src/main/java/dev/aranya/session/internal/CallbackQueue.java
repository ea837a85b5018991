package dev.aranya.session.internal;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs listener callbacks one at a time, in the order they were queued, on whichever thread drains first. State
 * changes queue their callbacks while holding the connection's lock and drain after releasing it, so listeners see
 * events in state order, never concurrently, and never while the lock is held (a listener may call back into the
 * stream from any thread without deadlock).
 */
public final class CallbackQueue {
    private static final Logger LOG = LoggerFactory.getLogger(CallbackQueue.class);

    private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pending = new AtomicInteger();

    public void add(Runnable callback) {
        queue.add(callback);
    }

    /** Runs queued callbacks until none are left; returns at once if another thread is already running them. */
    public void drain() {
        if (pending.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            Runnable callback;
            while ((callback = queue.poll()) != null) {
                try {
                    callback.run();
                } catch (RuntimeException e) {
                    // a faulty listener must not stop the delivery to the others
                    LOG.warn("A session listener failed", e);
                }
            }
            missed = pending.addAndGet(-missed);
        } while (missed != 0);
    }
}
