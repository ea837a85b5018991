package dev.aranya.arhat.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.StreamEnd;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** A test double of the protocol endpoint's side of one stream: a send window, and what the agent sent. */
final class RecordingStream implements AgentStream {
    private static final AtomicIds IDS = new AtomicIds();

    private final long id = IDS.next();
    private final Map<Channel, ByteArrayOutputStream> received = new EnumMap<>(Channel.class);
    private final List<Channel> halfClosed = new ArrayList<>();
    private final CompletableFuture<StreamEnd> end = new CompletableFuture<>();
    private long window;
    private long consumed;
    private boolean accepted;
    private AgentStreamListener listener;

    RecordingStream(long window) {
        this.window = window;
    }

    RecordingStream() {
        this(Long.MAX_VALUE);
    }

    void listener(AgentStreamListener listener) {
        this.listener = listener;
    }

    AgentStreamListener listener() {
        return listener;
    }

    /** Aranya grants more window, as a WindowUpdate would. */
    void grant(long credit) {
        synchronized (this) {
            window += credit;
        }
        listener.onWritable();
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public synchronized void accept() {
        accepted = true;
    }

    @Override
    public synchronized int write(Channel channel, ByteBuffer data) {
        int taken = (int) Math.min(window, data.remaining());
        byte[] bytes = new byte[taken];
        data.get(bytes);
        received.computeIfAbsent(channel, c -> new ByteArrayOutputStream()).writeBytes(bytes);
        window -= taken;
        return taken;
    }

    @Override
    public synchronized boolean writable() {
        return window > 0;
    }

    @Override
    public synchronized void halfClose(Channel channel) {
        halfClosed.add(channel);
    }

    @Override
    public synchronized void consumed(int bytes) {
        consumed += bytes;
    }

    @Override
    public void end(StreamEnd streamEnd) {
        end.complete(streamEnd);
    }

    synchronized String text(Channel channel) {
        ByteArrayOutputStream bytes = received.get(channel);
        return bytes == null ? "" : bytes.toString(StandardCharsets.UTF_8);
    }

    synchronized int bytes(Channel channel) {
        ByteArrayOutputStream bytes = received.get(channel);
        return bytes == null ? 0 : bytes.size();
    }

    synchronized boolean accepted() {
        return accepted;
    }

    synchronized long consumedBytes() {
        return consumed;
    }

    synchronized List<Channel> halfClosed() {
        return List.copyOf(halfClosed);
    }

    StreamEnd awaitEnd() throws Exception {
        return end.get(60, TimeUnit.SECONDS);
    }

    boolean hasEnded() {
        return end.isDone();
    }

    /** Waits until the condition holds (or fails the test after 30 s: a busy machine is slow, not broken). */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    void type(String text) {
        listener.onData(Channel.CHANNEL_STDIN, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static final class AtomicIds {
        private long next = 1;

        synchronized long next() {
            long current = next;
            next += 2;
            return current;
        }
    }
}
