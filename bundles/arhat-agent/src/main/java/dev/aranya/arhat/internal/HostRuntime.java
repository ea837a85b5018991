package dev.aranya.arhat.internal;

import dev.aranya.protocol.v1.Signal;
import dev.aranya.protocol.v1.TerminalSize;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The threads, settings and processes the streams of one agent share.
 *
 * @param pool      blocking work: pumps, process waits, stdin writes (one thread per busy pipe)
 * @param timers    delayed work: the kill after a cancel's grace period
 * @param settings  the agent's host settings
 * @param processes the host processes the agent started, stopped with it
 */
record HostRuntime(ExecutorService pool, ScheduledExecutorService timers, HostSettings settings, Set<Process> processes) {
    /** How long processes get after SIGTERM when the agent stops, at most. */
    private static final long STOP_GRACE_MILLIS = 2000;

    HostRuntime(ExecutorService pool, ScheduledExecutorService timers, HostSettings settings) {
        this(pool, timers, settings, ConcurrentHashMap.newKeySet());
    }

    /** Starts a process ({@link ProcessLauncher#start}) in the working directory; it ends when the agent stops. */
    Process start(List<String> command, Map<String, String> env, boolean tty, boolean stdin, TerminalSize initialSize)
            throws StreamRefused {
        Process process = ProcessLauncher.start(command, env, tty, stdin, initialSize, settings.workingDirectory());
        processes.removeIf(started -> !started.isAlive());
        processes.add(process);
        return process;
    }

    /** Stops the pools and every process still running: SIGTERM, then SIGKILL for what is left after a short grace. */
    void shutdown() throws InterruptedException {
        List<ProcessHandle> running = processes.stream().filter(Process::isAlive)
                .flatMap(process -> ProcessHandle.of(process.pid()).stream()).toList();
        running.forEach(process -> Signals.sendToTree(process, Signals.number(Signal.SIGNAL_TERM)));
        long deadline = System.currentTimeMillis() + Math.min(STOP_GRACE_MILLIS, settings.killGrace().toMillis());
        while (running.stream().anyMatch(ProcessHandle::isAlive) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        running.forEach(process -> Signals.sendToTree(process, Signals.number(Signal.SIGNAL_KILL)));
        pool.shutdownNow();
        timers.shutdownNow();
    }
}
