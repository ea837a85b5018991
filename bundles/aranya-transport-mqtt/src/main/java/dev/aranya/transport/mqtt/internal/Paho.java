package dev.aranya.transport.mqtt.internal;

import java.io.IOException;
import java.io.InterruptedIOException;

/** What both Paho clients share: time limits, the in-flight window and how their errors read in logs. */
final class Paho {
    static final int CONNECT_SECONDS = 10;
    static final long WAIT_MILLIS = 15_000;
    /** QoS 1 messages in flight per client; bounds Paho's own buffers. */
    static final int MAX_IN_FLIGHT = 1000;

    @FunctionalInterface
    interface Attempt {
        /** @return false if the in-flight window was full */
        boolean run() throws IOException;
    }

    private Paho() {
    }

    static void retryWhileInFlightFull(Attempt attempt) throws IOException {
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
        while (!attempt.run()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the broker acknowledged none of " + MAX_IN_FLIGHT + " messages in "
                        + WAIT_MILLIS / 1000 + " s");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while the in-flight window was full");
            }
        }
    }

    /** Paho's messages alone are often just "Connection lost": add the cause. */
    static String describe(Throwable error) {
        if (error == null) {
            return "connection lost";
        }
        String text = error.getMessage() != null ? error.getMessage() : error.getClass().getSimpleName();
        Throwable cause = error.getCause();
        if (cause != null && cause != error) {
            text += " (" + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()) + ")";
        }
        return text;
    }
}
