package dev.aranya.arhat.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.driver.PeripheralConfig;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.StreamEnd;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kubectl exec <pod> -c <peripheral> -- <operation> [args]}: runs the operation through the peripheral's
 * driver, its output going to kubectl as the window allows, and ends with the operation's exit code. An unknown
 * operation, or a peripheral that is not open, ends the stream with an error naming what is possible.
 */
final class PeripheralExecStream implements AgentStreamListener {
    private static final Logger LOG = LoggerFactory.getLogger("dev.aranya.arhat.streams");
    /** Exit code of an operation whose arguments the driver refused (as a command's usage error). */
    static final int USAGE_EXIT_CODE = 2;

    private final Exec exec;
    private final AgentStream stream;
    private final PeripheralRegistry registry;
    private final WindowedSender sender;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile Thread worker;

    PeripheralExecStream(Exec exec, AgentStream stream, PeripheralRegistry registry) {
        this.exec = exec;
        this.stream = stream;
        this.registry = registry;
        this.sender = new WindowedSender(stream);
    }

    /** Checks the request and starts the operation on the pool; ends the stream at once if it cannot run. */
    void start(ExecutorService pool) {
        String name = exec.getContainer();
        Optional<PeripheralRegistry.Opened> opened = registry.find(name);
        if (opened.isEmpty()) {
            finish(StreamEnds.error(ErrorCode.ERROR_CODE_UNAVAILABLE,
                    "peripheral " + name + " is not ready: " + registry.notReadyReason(name)));
            return;
        }
        PeripheralConfig config = opened.get().config();
        String valid = config.operations().isEmpty() ? "it has none"
                : "valid operations: " + String.join(", ", config.operations().stream().map(PeripheralConfig.Operation::name).toList());
        if (exec.getCommandCount() == 0) {
            finish(StreamEnds.error(ErrorCode.ERROR_CODE_BAD_REQUEST,
                    "name an operation of peripheral " + name + " after '--': " + valid));
            return;
        }
        String operationName = exec.getCommand(0);
        Optional<PeripheralConfig.Operation> operation = config.operation(operationName);
        if (operation.isEmpty()) {
            finish(StreamEnds.error(ErrorCode.ERROR_CODE_NOT_FOUND,
                    "peripheral " + name + " has no operation '" + operationName + "': " + valid));
            return;
        }
        List<String> args = exec.getCommandList().subList(1, exec.getCommandCount());
        stream.accept();
        LOG.info("Stream {}: operation '{}' of peripheral '{}' with {} arguments", stream.id(), operationName, name, args.size());
        pool.execute(() -> run(opened.get(), operation.get(), args));
    }

    private void run(PeripheralRegistry.Opened opened, PeripheralConfig.Operation operation, List<String> args) {
        worker = Thread.currentThread();
        // with a terminal there is one output channel: stderr joins stdout, as on a terminal
        Channel errors = exec.getTty() ? Channel.CHANNEL_STDOUT : Channel.CHANNEL_STDERR;
        boolean errorsWanted = exec.getTty() ? exec.getStdout() : exec.getStderr();
        try (OutputStream stdout = new ChannelOutput(Channel.CHANNEL_STDOUT, exec.getStdout());
             OutputStream stderr = new ChannelOutput(errors, errorsWanted)) {
            int exitCode;
            try {
                exitCode = opened.peripheral().execute(operation, args, InputStream.nullInputStream(), stdout, stderr);
            } catch (IllegalArgumentException e) {
                stderr.write((e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
                exitCode = USAGE_EXIT_CODE;
            }
            finish(StreamEnds.exit(exitCode));
        } catch (InterruptedIOException e) {
            finish(StreamEnds.error(ErrorCode.ERROR_CODE_CANCELLED, "the operation was cancelled"));
        } catch (IOException e) {
            finish(StreamEnds.error(ErrorCode.ERROR_CODE_INTERNAL, "operation '" + operation.name() + "' of peripheral "
                    + opened.config().name() + " failed: " + e.getMessage()));
        } catch (RuntimeException | LinkageError e) {
            LOG.error("Stream {}: the driver of peripheral '{}' failed", stream.id(), opened.config().name(), e);
            finish(StreamEnds.error(ErrorCode.ERROR_CODE_INTERNAL, "the driver failed: " + e));
        } finally {
            worker = null;
            Thread.interrupted(); // a cancel's interrupt ends here, not in the pool's next task
        }
    }

    private void finish(StreamEnd end) {
        if (ended.compareAndSet(false, true)) {
            sender.close();
            stream.end(end);
            LOG.info("Stream {}: peripheral '{}' ended: {}", stream.id(), exec.getContainer(), StreamEnds.describe(end));
        }
    }

    private void stop() {
        Thread running = worker;
        if (running != null) {
            running.interrupt();
        }
    }

    @Override
    public void onData(Channel channel, ByteBuffer data) {
        // operations take no stdin yet (their input is their arguments): the bytes are dropped, their credit returned
        int bytes = data.remaining();
        data.position(data.limit());
        stream.consumed(bytes);
    }

    @Override
    public void onWritable() {
        sender.onWritable();
    }

    @Override
    public void onCancel(Cancel cancel) {
        stop();
        finish(StreamEnds.error(ErrorCode.ERROR_CODE_CANCELLED, "cancelled: " + cancel.getReason()));
    }

    @Override
    public void onConnectionLost(String reason) {
        if (ended.compareAndSet(false, true)) {
            sender.close();
            stop();
        }
    }

    /** One output channel of the stream, written as the window allows (a write waits for window). */
    private final class ChannelOutput extends OutputStream {
        private final Channel channel;
        private final boolean wanted;

        ChannelOutput(Channel channel, boolean wanted) {
            this.channel = channel;
            this.wanted = wanted;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (!wanted || length == 0) {
                return;
            }
            try {
                if (!sender.send(channel, ByteBuffer.wrap(bytes, offset, length))) {
                    throw new InterruptedIOException("the stream ended");
                }
            } catch (InterruptedException e) {
                throw new InterruptedIOException("the stream was cancelled");
            }
        }
    }
}
