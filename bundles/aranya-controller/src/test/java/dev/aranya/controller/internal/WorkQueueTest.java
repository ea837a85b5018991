package dev.aranya.controller.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkQueueTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final WorkQueue queue = new WorkQueue(timer, Duration.ofMillis(100), Duration.ofSeconds(2), 1000, 1000);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void keyWaitsOnceAndIsNeverHandedOutTwiceAtATime() throws Exception {
        queue.add("a");
        queue.add("a");
        queue.add("b");
        assertThat(queue.length()).isEqualTo(2);

        assertThat(queue.take()).contains("a");
        queue.add("a"); // while a is processed
        assertThat(queue.take()).contains("b");
        assertThat(queue.length()).as("a is not handed out again while processed").isZero();

        queue.done("a");
        assertThat(queue.take()).as("a again, after it was done").contains("a");
    }

    @Test
    void failuresBackOffExponentiallyUpToTheMaximum() {
        assertThat(queue.backoff(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(queue.backoff(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(queue.backoff(5)).isEqualTo(Duration.ofMillis(1600));
        assertThat(queue.backoff(6)).isEqualTo(Duration.ofSeconds(2));
        assertThat(queue.backoff(200)).isEqualTo(Duration.ofSeconds(2));

        assertThat(queue.addRateLimited("a")).isEqualTo(Duration.ofMillis(100));
        assertThat(queue.addRateLimited("a")).isEqualTo(Duration.ofMillis(200));
        queue.forget("a");
        assertThat(queue.failures("a")).isZero();
        assertThat(queue.addRateLimited("a")).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void delayedKeyArrivesAfterItsDelay() throws Exception {
        long start = System.nanoTime();
        queue.addAfter("late", Duration.ofMillis(150));
        assertThat(queue.take()).contains("late");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(140));
    }

    @Test
    void aKeyAddedInALoopIsCoalescedToOneAdditionPerWindow() throws Exception {
        long start = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            queue.addCoalesced("chatty", Duration.ofMillis(200));
        }
        queue.add("quiet");

        assertThat(queue.take()).as("a key added normally is not held up").contains("quiet");
        assertThat(queue.take()).contains("chatty");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(190));
        queue.done("chatty");
        Thread.sleep(300);
        assertThat(queue.length()).as("10,000 calls within the window: one addition").isZero();

        queue.addCoalesced("chatty", Duration.ofMillis(50));
        assertThat(queue.take()).as("a later window adds it again").contains("chatty");
    }

    @Test
    void rateLimitSpacesKeysOutAfterTheBurst() throws Exception {
        WorkQueue slow = new WorkQueue(timer, Duration.ofMillis(100), Duration.ofSeconds(1), 20, 2);
        for (int i = 0; i < 6; i++) {
            slow.add("k" + i);
        }
        long start = System.nanoTime();
        for (int i = 0; i < 6; i++) {
            slow.take();
        }
        // 2 at once, then 4 at 20 per second
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(180));
    }

    @Test
    void shutDownReleasesWaitingWorkers() throws Exception {
        Thread worker = new Thread(() -> {
            try {
                assertThat(queue.take()).isEmpty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        worker.start();
        Thread.sleep(50);
        queue.shutDown();
        worker.join(2000);
        assertThat(worker.isAlive()).isFalse();
    }
}
