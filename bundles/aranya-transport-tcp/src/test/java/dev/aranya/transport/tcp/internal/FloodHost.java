package dev.aranya.transport.tcp.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.StreamEnd;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's host offering {@code total} bytes of stdout on every stream, in writes of {@code chunk} bytes, as fast
 * as the window lets it; it resumes on each onWritable, like a process whose pipe the agent reads.
 */
final class FloodHost implements HostStreams {
    final AtomicLong sent = new AtomicLong();
    final AtomicLong shortWrites = new AtomicLong();
    private final long total;
    private final int chunk;

    FloodHost(long total, int chunk) {
        this.total = total;
        this.chunk = chunk;
    }

    @Override
    public AgentStreamListener open(Frame opening, AgentStream stream) {
        stream.accept();
        Pump pump = new Pump(stream);
        pump.run();
        return pump;
    }

    private final class Pump implements AgentStreamListener {
        private final AgentStream stream;
        private final ByteBuffer buffer = ByteBuffer.allocate(chunk);
        private long remaining = total;

        Pump(AgentStream stream) {
            this.stream = stream;
            buffer.limit(0);
        }

        synchronized void run() {
            while (remaining > 0) {
                if (!buffer.hasRemaining()) {
                    buffer.clear();
                    buffer.limit((int) Math.min(chunk, remaining));
                }
                int offered = buffer.remaining();
                int taken = stream.write(Channel.CHANNEL_STDOUT, buffer);
                sent.addAndGet(taken);
                remaining -= taken;
                if (taken < offered) {
                    shortWrites.incrementAndGet();
                    return;
                }
            }
            stream.end(StreamEnd.newBuilder().setExitCode(0).build());
        }

        @Override
        public void onData(Channel channel, ByteBuffer data) {
        }

        @Override
        public void onWritable() {
            run();
        }

        @Override
        public void onCancel(Cancel cancel) {
            stream.end(StreamEnd.newBuilder().setExitCode(143).build());
        }

        @Override
        public void onConnectionLost(String reason) {
        }
    }
}
