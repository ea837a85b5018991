package dev.aranya.kubelet.internal;

import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.SessionListener;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.StreamEnd;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A device whose streams the test drives: it records what the kubelet opens, writes and credits, and the test plays
 * the agent through {@link #listener()}. The send window is set by the test.
 */
final class RecordingDevice implements DeviceSessions, DeviceSession, DeviceStream {
    final DeviceId device = new DeviceId("ns", "dev1");
    final List<Frame> opened = new ArrayList<>();
    final ByteArrayOutputStream written = new ByteArrayOutputStream();
    final List<Channel> halfClosed = new ArrayList<>();
    final List<String> cancelled = new ArrayList<>();
    final List<int[]> resized = new ArrayList<>();
    final CompletableFuture<Void> accepted = new CompletableFuture<>();
    int sendWindow = Integer.MAX_VALUE;
    int credited;
    private StreamListener listener;

    StreamListener listener() {
        return listener;
    }

    void deliver(Channel channel, String text) {
        listener.onData(channel, ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    void end(StreamEnd end) {
        listener.onEnd(end);
    }

    @Override
    public DeviceStream open(Frame opening, StreamListener listener) {
        opened.add(opening);
        this.listener = listener;
        return this;
    }

    @Override
    public int write(Channel channel, ByteBuffer data) {
        int size = Math.min(sendWindow, data.remaining());
        byte[] bytes = new byte[size];
        data.get(bytes);
        written.writeBytes(bytes);
        sendWindow -= size;
        return size;
    }

    @Override
    public void halfClose(Channel channel) {
        halfClosed.add(channel);
    }

    @Override
    public void resize(int cols, int rows) {
        resized.add(new int[] {cols, rows});
    }

    @Override
    public void consumed(int bytes) {
        credited += bytes;
    }

    @Override
    public void cancel(String reason) {
        cancelled.add(reason);
    }

    @Override
    public boolean writable() {
        return sendWindow > 0;
    }

    @Override
    public CompletionStage<Void> accepted() {
        return accepted;
    }

    @Override
    public CompletionStage<StreamEnd> ended() {
        return new CompletableFuture<>();
    }

    // ---- the session and registry around the one stream

    @Override
    public DeviceConnectionListener connectionListener() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Optional<DeviceSession> find(DeviceId id) {
        return device.equals(id) ? Optional.of(this) : Optional.empty();
    }

    @Override
    public Collection<DeviceSession> all() {
        return List.of(this);
    }

    @Override
    public AutoCloseable watch(SessionListener sessionListener) {
        return () -> { };
    }

    @Override
    public void disconnect(DeviceId id, String reason) {
    }

    @Override
    public DeviceId device() {
        return device;
    }

    @Override
    public String method() {
        return "test";
    }

    @Override
    public String peer() {
        return "test";
    }

    @Override
    public String agentVersion() {
        return "test";
    }

    @Override
    public Set<String> capabilities() {
        return Set.of();
    }

    @Override
    public Instant connectedAt() {
        return Instant.EPOCH;
    }

    @Override
    public Instant lastSeen() {
        return Instant.EPOCH;
    }

    @Override
    public NodeInfo nodeInfo() {
        return NodeInfo.getDefaultInstance();
    }

    @Override
    public Optional<NodeStatus> lastStatus() {
        return Optional.empty();
    }

    @Override
    public int openStreams() {
        return listener == null ? 0 : 1;
    }

    @Override
    public void close(String reason) {
    }
}
