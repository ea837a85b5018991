package dev.aranya.arhat.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The threads and settings the streams of one agent share.
 *
 * @param pool      blocking work: pumps, process waits, stdin writes (one thread per busy pipe)
 * @param timers    delayed work: the kill after a cancel's grace period, log follow polls
 * @param settings  the agent's host settings
 */
record HostRuntime(ExecutorService pool, ScheduledExecutorService timers, HostSettings settings) {
}
