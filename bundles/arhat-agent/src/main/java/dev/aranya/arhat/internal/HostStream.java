package dev.aranya.arhat.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.StreamEnd;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every kind of stream shares: windowed output, ordered inbound work, and one end. */
abstract class HostStream implements AgentStreamListener {
    /** Bytes read from a source at once: the most a stream buffers per output channel. */
    static final int PUMP_BUFFER_SIZE = 32 << 10;
    protected static final Logger LOG = LoggerFactory.getLogger("dev.aranya.arhat.streams");

    protected final AgentStream stream;
    protected final WindowedSender sender;
    protected final SerialExecutor inbound;
    protected final HostRuntime runtime;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile long lastOutputNanos = System.nanoTime();

    HostStream(AgentStream stream, HostRuntime runtime) {
        this.stream = stream;
        this.runtime = runtime;
        this.sender = new WindowedSender(stream);
        this.inbound = new SerialExecutor(runtime.pool());
    }

    /** What the stream does, for log lines (never argument values: they may hold secrets). */
    abstract String describe();

    /** Starts the work; called once, off the endpoint's thread. */
    abstract void start();

    /** Stops the work because the connection is gone. */
    abstract void stopOnConnectionLost();

    final void open() {
        inbound.execute(() -> {
            try {
                start();
            } catch (RuntimeException | LinkageError e) {
                LOG.error("Stream {}: {} failed to start", stream.id(), describe(), e);
                finish(StreamEnds.error(ErrorCode.ERROR_CODE_INTERNAL, "the agent failed to start it: " + e));
            }
        });
    }

    /** Reports that the work runs. */
    protected final void accepted() {
        stream.accept();
    }

    /** Ends the stream once; later calls are ignored. */
    protected final void finish(StreamEnd end) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        sender.close();
        stream.end(end);
        if (end.hasError() && end.getError().getCode() != ErrorCode.ERROR_CODE_CANCELLED) {
            LOG.warn("Stream {}: {} refused or failed: {}", stream.id(), describe(), StreamEnds.describe(end));
        } else {
            LOG.info("Stream {}: {} ended: {}", stream.id(), describe(), StreamEnds.describe(end));
        }
    }

    protected final boolean ended() {
        return ended.get();
    }

    /**
     * Copies {@code in} to a channel until its end, as the window allows; then half-closes the channel.
     *
     * @return false if the stream closed first
     */
    protected final boolean pump(InputStream in, Channel channel) throws IOException, InterruptedException {
        byte[] buffer = new byte[PUMP_BUFFER_SIZE];
        int read;
        while ((read = in.read(buffer)) >= 0) {
            lastOutputNanos = System.nanoTime();
            if (read > 0 && !sender.send(channel, ByteBuffer.wrap(buffer, 0, read))) {
                return false;
            }
        }
        if (!sender.closed()) {
            stream.halfClose(channel);
        }
        return true;
    }

    /** When a pump last read output from its source. */
    protected final long lastOutputNanos() {
        return lastOutputNanos;
    }

    static byte[] copyOf(ByteBuffer data) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        return bytes;
    }

    @Override
    public final void onWritable() {
        sender.onWritable();
    }

    @Override
    public final void onConnectionLost(String reason) {
        if (ended.compareAndSet(false, true)) {
            sender.close();
            LOG.info("Stream {}: {} stopped, the connection to Aranya ended ({})", stream.id(), describe(), reason);
            stopOnConnectionLost();
        }
    }
}
