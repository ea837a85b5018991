package dev.aranya.session.internal;

import com.google.protobuf.ByteString;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.StreamWindow;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Data;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.HalfClose;
import dev.aranya.protocol.v1.WindowUpdate;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Set;

/**
 * One stream's data path, the same on both ends: sending within the peer's window (in payloads the peer's frame
 * limit allows), accounting received Data against this side's window, returning credit as the consumer hands bytes
 * on (batched: one WindowUpdate per half window), and the half-close of
 * each channel. Memory is bounded: a side never receives more than one window per stream that its consumer has not
 * consumed, and never sends more than the peer granted.
 */
public abstract class StreamCore {
    protected final ProtocolConnection<?> connection;
    private final long id;
    private final Set<Channel> sendChannels;
    private final Set<Channel> receiveChannels;
    private final Set<Channel> sendOpen;
    private final Set<Channel> receiveOpen;
    private final StreamWindow sendWindow;
    private final StreamWindow receiveWindow;
    private final int receiveInitial;
    private long delivered;   // bytes handed to the listener and not yet consumed
    private long unreturned;  // consumed bytes whose credit was not yet returned
    private boolean blocked;  // a write took less than offered: tell the listener when credit arrives
    private boolean ended;

    protected StreamCore(ProtocolConnection<?> connection, long id, Set<Channel> sending, Set<Channel> receiving) {
        this.connection = connection;
        this.id = id;
        this.sendChannels = copy(sending);
        this.receiveChannels = copy(receiving);
        this.sendOpen = copy(sending);
        this.receiveOpen = copy(receiving);
        this.sendWindow = new StreamWindow(connection.sendInitialWindow);
        this.receiveInitial = connection.receiveInitialWindow;
        this.receiveWindow = new StreamWindow(receiveInitial);
    }

    private static Set<Channel> copy(Set<Channel> channels) {
        return channels.isEmpty() ? EnumSet.noneOf(Channel.class) : EnumSet.copyOf(channels);
    }

    public final long id() {
        return id;
    }

    // ---- hooks of the two sides (called under the connection's lock; deliver* queue a listener callback)

    protected abstract void deliverData(Channel channel, ByteBuffer data);

    protected abstract void deliverHalfClose(Channel channel);

    protected abstract void deliverWritable();

    /** A stream error found by this side (flow control, a channel misuse): end the stream with it. */
    protected abstract void fail(ErrorInfo error);

    /** The connection ended with the stream still open. */
    protected abstract void connectionLost(String reason);

    /** Marks the stream ended: from now on writes take nothing and credit is no longer returned. */
    protected final void markEnded() {
        ended = true;
    }

    protected final boolean isEnded() {
        return ended;
    }

    protected final Frame.Builder frame() {
        return Frame.newBuilder().setStreamId(id);
    }

    // ---- the consumer's side (any thread)

    public final int write(Channel channel, ByteBuffer data) {
        if (!sendChannels.contains(channel)) {
            throw new IllegalArgumentException("stream " + id + " does not send on " + channel + " (it sends on " + sendChannels + ")");
        }
        return connection.locked(() -> {
            if (!sendOpen.contains(channel)) {
                if (ended) {
                    return 0;
                }
                throw new IllegalStateException(channel + " of stream " + id + " was half-closed");
            }
            int taken = 0;
            while (data.hasRemaining() && !ended && !connection.isClosed()) {
                int size = sendWindow.consumeUpTo(Math.min(data.remaining(), connection.maxDataPayload()));
                if (size == 0) {
                    break;
                }
                ByteString payload = ByteString.copyFrom(data, size);
                connection.send(frame().setData(Data.newBuilder().setChannel(channel).setPayload(payload)));
                taken += size;
            }
            if (data.hasRemaining()) {
                blocked = true;
            }
            return taken;
        });
    }

    public final boolean writable() {
        return connection.locked(() -> !ended && !connection.isClosed() && sendWindow.available() > 0);
    }

    public final void halfClose(Channel channel) {
        connection.locked(() -> {
            if (!ended && sendOpen.remove(channel)) {
                connection.send(frame().setHalfClose(HalfClose.newBuilder().setChannel(channel)));
            }
        });
    }

    public final void consumed(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative byte count " + bytes);
        }
        connection.locked(() -> {
            if (ended || bytes == 0) {
                return;
            }
            if (bytes > delivered) {
                throw new IllegalArgumentException("stream " + id + ": consumed " + bytes
                        + " bytes while only " + delivered + " were delivered and not consumed");
            }
            delivered -= bytes;
            unreturned += bytes;
            // one WindowUpdate per half window: a sender that spent its window always gets credit back once its
            // bytes are consumed, and a fast stream costs one small frame per half window instead of one per Data
            if (unreturned >= Math.max(1, receiveInitial / 2)) {
                returnCredit();
            }
        });
    }

    private void returnCredit() {
        try {
            receiveWindow.grant(unreturned);
        } catch (ProtocolException e) {
            // cannot happen: the credit returned never exceeds what the peer spent of the initial window
            throw new IllegalStateException(e);
        }
        connection.send(frame().setWindowUpdate(WindowUpdate.newBuilder().setCredit((int) unreturned)));
        unreturned = 0;
    }

    // ---- the peer's side (under the lock, on the transport's thread)

    final void receiveData(Data data) throws ProtocolException {
        Channel channel = data.getChannel();
        checkReceiving(channel, "DATA");
        receiveWindow.consume(data.getPayload().size());
        delivered += data.getPayload().size();
        deliverData(channel, data.getPayload().asReadOnlyByteBuffer());
    }

    final void receiveHalfClose(Channel channel) throws ProtocolException {
        checkReceiving(channel, "HALF_CLOSE");
        receiveOpen.remove(channel);
        deliverHalfClose(channel);
    }

    final void receiveCredit(long credit) throws ProtocolException {
        sendWindow.grant(credit);
        if (blocked && !ended) {
            blocked = false;
            deliverWritable();
        }
    }

    private void checkReceiving(Channel channel, String what) throws ProtocolException {
        if (!receiveChannels.contains(channel)) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                    what + " on " + channel + ", which the opening of stream " + id + " did not ask for");
        }
        if (!receiveOpen.contains(channel)) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                    what + " on " + channel + " of stream " + id + " after its half-close");
        }
    }
}
