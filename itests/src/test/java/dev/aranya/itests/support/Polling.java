package dev.aranya.itests.support;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Waiting for what a user would wait for, with the processes' output in the failure when it does not come. */
public final class Polling {
    private Polling() {
    }

    /**
     * Polls every 0.5 s until the probe has a value.
     *
     * @param diagnostics what to add to the failure, e.g. the tails of the processes' output
     * @throws AssertionError naming what did not come within the time, with the diagnostics
     */
    public static <T> T await(String what, Supplier<Optional<T>> probe, int seconds, Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        throw new AssertionError("no " + what + " within " + seconds + " s\n" + diagnostics.get());
    }
}
