package dev.aranya.kubelet.internal;

import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.StreamListener;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.StreamEnd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * Joins one device stream to a client connection, at the pace both accept: client bytes go to the device only as far
 * as its window takes them (the rest waits, with the connection's reading stopped, for {@code onWritable}); device
 * bytes are credited back only when the client connection has written them. Everything runs on the connection's
 * event loop; the session's callbacks hop onto it.
 */
final class DeviceStreamBridge implements StreamListener {

    /** The client side of the stream: one protocol's way to carry the device's output and end. */
    interface ClientSide {
        /** Writes device output to the client; the future completes when the connection wrote it. */
        ChannelFuture send(Channel channel, ByteBuf data);

        /** The device sends no more on the channel. */
        void outputClosed(Channel channel);

        /** The stream ended; the last call. */
        void ended(StreamEnd end);
    }

    private sealed interface Input permits Bytes, Close {
    }

    private record Bytes(Channel channel, ByteBuf data) implements Input {
    }

    private record Close(Channel channel) implements Input {
    }

    private final EventLoop loop;
    private final ReadGate gate;
    private final ClientSide client;
    private final ArrayDeque<Input> pending = new ArrayDeque<>();
    private DeviceStream stream;
    private boolean ended;

    private DeviceStreamBridge(EventLoop loop, ReadGate gate, ClientSide client) {
        this.loop = loop;
        this.gate = gate;
        this.client = client;
    }

    /**
     * Opens the stream on the device's session, or ends the client side at once with {@code UNAVAILABLE} when the
     * device is offline. Event loop only.
     */
    static DeviceStreamBridge open(Optional<DeviceSession> session, Frame opening, EventLoop loop, ReadGate gate,
            ClientSide client) {
        DeviceStreamBridge bridge = new DeviceStreamBridge(loop, gate, client);
        if (session.isEmpty()) {
            bridge.ended = true;
            client.ended(StreamEnd.newBuilder().setError(ErrorInfo.newBuilder()
                    .setCode(ErrorCode.ERROR_CODE_UNAVAILABLE).setMessage("the device is offline")).build());
            return bridge;
        }
        bridge.stream = session.get().open(opening, bridge);
        return bridge;
    }

    /** Runs the action on the event loop once the device accepted the stream, unless it ended before. */
    void onAccepted(Runnable action) {
        if (stream != null) {
            stream.accepted().thenRun(() -> loop.execute(() -> {
                if (!ended) {
                    action.run();
                }
            }));
        }
    }

    // ---- client to device (event loop)

    void input(Channel channel, ByteBuf data) {
        if (ended || !data.isReadable()) {
            return;
        }
        pending.add(new Bytes(channel, data.retain()));
        drain();
    }

    void inputClosed(Channel channel) {
        if (ended) {
            return;
        }
        pending.add(new Close(channel));
        drain();
    }

    void resize(int cols, int rows) {
        if (!ended) {
            stream.resize(cols, rows);
        }
    }

    /** The client went away or gave up: the device stops the stream. */
    void cancel(String reason) {
        if (!ended) {
            ended = true;
            releasePending();
            stream.cancel(reason);
        }
    }

    private void drain() {
        while (!ended && !pending.isEmpty()) {
            Input next = pending.peek();
            if (next instanceof Bytes bytes) {
                ByteBuffer chunk = bytes.data().nioBuffer();
                int taken = stream.write(bytes.channel(), chunk);
                bytes.data().skipBytes(taken);
                if (bytes.data().isReadable()) {
                    gate.hold(this);
                    return;
                }
                bytes.data().release();
            } else if (next instanceof Close close) {
                stream.halfClose(close.channel());
            }
            pending.poll();
        }
        gate.release(this);
    }

    private void releasePending() {
        for (Input input : pending) {
            if (input instanceof Bytes bytes) {
                bytes.data().release();
            }
        }
        pending.clear();
        gate.release(this);
    }

    // ---- device to client (session threads)

    @Override
    public void onData(Channel channel, ByteBuffer data) {
        int size = data.remaining();
        loop.execute(() -> {
            if (ended) {
                return;
            }
            client.send(channel, Unpooled.wrappedBuffer(data)).addListener(written -> {
                if (written.isSuccess() && !ended) {
                    stream.consumed(size);
                }
            });
        });
    }

    @Override
    public void onHalfClose(Channel channel) {
        loop.execute(() -> {
            if (!ended) {
                client.outputClosed(channel);
            }
        });
    }

    @Override
    public void onWritable() {
        loop.execute(this::drain);
    }

    @Override
    public void onEnd(StreamEnd end) {
        loop.execute(() -> {
            boolean cancelled = ended;
            ended = true;
            releasePending();
            if (!cancelled) {
                client.ended(end);
            }
        });
    }
}
