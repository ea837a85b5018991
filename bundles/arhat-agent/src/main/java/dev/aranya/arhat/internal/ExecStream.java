package dev.aranya.arhat.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Signal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs one command on the host. Output goes out as the window allows; stdin bytes are written to the process in
 * order and their credit returned once written. The exit status ends the stream (128 + signal if one killed it).
 */
final class ExecStream extends HostStream {
    /** After the process exits, how long a pipe held open by a background child may stay quiet before the end. */
    private static final long DRAIN_MILLIS = 2000;
    /** What a terminal's line discipline reads as end of input (Ctrl-D). */
    private static final int END_OF_TRANSMISSION = 4;

    private final Exec exec;
    private final CountDownLatch pumpsDone;
    private final Object lock = new Object();
    private Process process;
    private Signal cancelledWith;
    private OutputStream stdin;

    ExecStream(Exec exec, AgentStream stream, HostRuntime runtime) {
        super(stream, runtime);
        this.exec = exec;
        this.pumpsDone = new CountDownLatch(exec.getTty() ? 1 : 2);
    }

    @Override
    String describe() {
        String name = exec.getCommandCount() == 0 ? "" : exec.getCommand(0);
        return "exec " + name + (exec.getCommandCount() > 1 ? " (+" + (exec.getCommandCount() - 1) + " args)" : "")
                + (exec.getTty() ? " with tty" : "");
    }

    @Override
    void start() {
        boolean cancelled;
        synchronized (lock) {
            cancelled = cancelledWith != null;
        }
        if (cancelled) {
            finish(StreamEnds.error(ErrorCode.ERROR_CODE_CANCELLED, "cancelled before it started"));
            return;
        }
        Process started;
        try {
            started = runtime.start(exec.getCommandList(), exec.getEnvMap(), exec.getTty(), exec.getStdin(),
                    exec.hasInitialSize() ? exec.getInitialSize() : null);
        } catch (StreamRefused refused) {
            finish(StreamEnds.of(refused));
            return;
        }
        stdin = started.getOutputStream();
        LOG.info("Stream {}: {} started, pid {}", stream.id(), describe(), started.pid());
        accepted();
        runtime.pool().execute(() -> pumpOutput(started.getInputStream(), Channel.CHANNEL_STDOUT, exec.getTty() || exec.getStdout()));
        if (!exec.getTty()) {
            runtime.pool().execute(() -> pumpOutput(started.getErrorStream(), Channel.CHANNEL_STDERR, exec.getStderr()));
        }
        runtime.pool().execute(() -> awaitExit(started));
        Signal cancelledMeanwhile;
        synchronized (lock) {
            process = started;
            cancelledMeanwhile = cancelledWith;
        }
        if (cancelledMeanwhile != null) {
            terminate(started, cancelledMeanwhile);
        }
    }

    private void pumpOutput(InputStream in, Channel channel, boolean wanted) {
        try (in) {
            if (wanted) {
                pump(in, channel);
            } else {
                in.transferTo(OutputStream.nullOutputStream());
            }
        } catch (IOException e) {
            // a terminal reports its end as an I/O error once the process and its children are gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pumpsDone.countDown();
        }
    }

    private void awaitExit(Process started) {
        try {
            int exitCode = started.waitFor();
            long exited = System.nanoTime();
            // all output goes out, however slow the client; but pumps stuck reading a pipe that a background child
            // keeps open (no output for the drain time, none waiting for window) do not hold the end back
            while (!pumpsDone.await(100, TimeUnit.MILLISECONDS) && !sender.closed()) {
                long quiet = System.nanoTime() - Math.max(exited, lastOutputNanos());
                if (!sender.sending() && quiet > TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS)) {
                    break;
                }
            }
            finish(StreamEnds.exit(exitCode));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void onData(Channel channel, ByteBuffer data) {
        byte[] bytes = copyOf(data);
        inbound.execute(() -> writeStdin(bytes));
    }

    private void writeStdin(byte[] bytes) {
        try {
            if (stdin != null && channelOpen()) {
                stdin.write(bytes);
                stdin.flush();
            }
        } catch (IOException e) {
            // the process closed its input or ended: the bytes have nowhere to go
            stdin = null;
        } finally {
            stream.consumed(bytes.length);
        }
    }

    private boolean channelOpen() {
        return !ended() && exec.getStdin();
    }

    @Override
    public void onHalfClose(Channel channel) {
        inbound.execute(this::closeStdin);
    }

    private void closeStdin() {
        if (stdin == null) {
            return;
        }
        try {
            if (exec.getTty()) {
                // a terminal has one file for both directions: end of input is the EOF character, not a close
                stdin.write(END_OF_TRANSMISSION);
                stdin.flush();
            } else {
                stdin.close();
                stdin = null;
            }
        } catch (IOException e) {
            stdin = null;
        }
    }

    @Override
    public void onResize(int cols, int rows) {
        inbound.execute(() -> {
            Process started = started();
            if (started != null && exec.getTty()) {
                ProcessLauncher.resize(started, cols, rows);
            }
        });
    }

    private Process started() {
        synchronized (lock) {
            return process;
        }
    }

    @Override
    public void onCancel(Cancel cancel) {
        LOG.info("Stream {}: {} cancelled by Aranya ({})", stream.id(), describe(), cancel.getReason());
        stop(cancel.getSignal());
    }

    @Override
    void stopOnConnectionLost() {
        stop(Signal.SIGNAL_TERM);
    }

    /** Stops the process now, or as soon as it started if it is starting (exactly once either way). */
    private void stop(Signal signal) {
        Process started;
        synchronized (lock) {
            if (cancelledWith != null) {
                return;
            }
            cancelledWith = signal;
            started = process;
        }
        if (started != null) {
            terminate(started, signal);
        }
    }

    /** Signals the process (TERM unless told otherwise), then KILLs what is left after the grace period. */
    private void terminate(Process started, Signal signal) {
        ProcessHandle handle = ProcessHandle.of(started.pid()).orElse(null);
        if (handle == null) {
            return; // gone already
        }
        Signals.sendToTree(handle, Signals.number(signal));
        try {
            scheduleKill(handle);
        } catch (RejectedExecutionException stopping) {
            // the agent is stopping: its shutdown kills every process it started
        }
    }

    private void scheduleKill(ProcessHandle handle) {
        runtime.timers().schedule(() -> {
            if (handle.isAlive()) {
                LOG.info("Stream {}: {} still runs {} after its signal: killing it", stream.id(), describe(),
                        runtime.settings().killGrace());
                Signals.sendToTree(handle, Signals.number(Signal.SIGNAL_KILL));
            }
        }, runtime.settings().killGrace().toMillis(), TimeUnit.MILLISECONDS);
    }
}
