package dev.aranya.transport.tcp.internal;

import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.FrameCodec;
import dev.aranya.protocol.FrameDecoder;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One protocol connection over a TCP (TLS) channel, on both ends: decodes the length-prefixed frames
 * ({@link FrameDecoder}, which refuses an oversized length before allocating) and hands them to the
 * {@link FrameHandler}; queues outbound frames and writes them on the channel's event loop, in the order
 * {@link #send} was called from any thread. Bytes that are not frames close this connection only.
 */
final class FrameChannel extends ChannelInboundHandlerAdapter implements DeviceConnection {
    private static final Logger LOG = LoggerFactory.getLogger(FrameChannel.class);

    private static final int REFUSED_HELLO_WAIT_SECONDS = 10;
    /**
     * Frames kept while the device's certificate is being checked (the agent sends its Hello and waits, so one is
     * expected); a peer that sends more before it is authenticated is closed.
     */
    private static final int MAX_HELD_FRAMES = 4;
    /** Bytes sent but not yet taken by the socket, above which the connection is closed. */
    private static final long MAX_UNSENT_BYTES = 64L << 20;

    private final Channel channel;
    private final FrameDecoder decoder;
    private final String peer;
    private final Queue<ByteBuf> outbound = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final AtomicLong unsentBytes = new AtomicLong(); // queued or written, and not yet taken by the socket
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean closedReported = new AtomicBoolean();
    private volatile String closeReason;
    private volatile DeviceId device;
    private volatile FrameHandler handler;
    private ErrorInfo refusal;
    /** Frames that arrived before {@link #attach}, {@link #handle} or {@link #refuse}; touched on the event loop only. */
    private final List<Frame> held = new ArrayList<>();

    /**
     * The ALPN protocol both ends offer (docs/protocol.md, "Raw TCP"); a peer that offers none is accepted, so the
     * TLS handshake never fails over it.
     */
    static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "aranya/1");

    /** @param peer the other end, for logs (its address) */
    FrameChannel(Channel channel, int maxFrameSize, String peer) {
        this.channel = channel;
        this.decoder = new FrameDecoder(maxFrameSize);
        this.peer = peer;
    }

    /**
     * The device is authenticated: from now on its frames go to the handler the listener gives for this connection
     * (which may already ask for {@link #device()}).
     */
    void attach(DeviceId authenticated, DeviceConnectionListener listener) {
        this.device = authenticated;
        handle(listener.connected(this));
    }

    /**
     * From now on the frames go to this handler, first those that arrived while the peer was being authenticated.
     * Call on the event loop once the channel is active, or before.
     */
    void handle(FrameHandler frames) {
        this.handler = frames;
        releaseHeld();
        if (closing.get()) {
            // it closed while the peer was being authenticated: the new handler (a session) must still hear of it
            reportClosed(closeReason == null ? "the connection closed" : closeReason);
        }
    }

    private void releaseHeld() {
        List<Frame> early = List.copyOf(held);
        held.clear();
        early.forEach(this::deliver);
    }

    /**
     * The device may not connect: its Hello is answered with this error (the agent learns why and backs off), then
     * the connection closes. Call on the event loop.
     */
    void refuse(ErrorCode code, String message) {
        refusal = ErrorInfo.newBuilder().setCode(code).setMessage(message).setRefSequence(1).build();
        // a refused peer that never says Hello does not keep the connection
        channel.eventLoop().schedule(() -> close("refused, and no Hello within " + REFUSED_HELLO_WAIT_SECONDS + " s"),
                REFUSED_HELLO_WAIT_SECONDS, TimeUnit.SECONDS);
        releaseHeld();
    }

    /** Completes when the channel has closed. */
    io.netty.channel.ChannelFuture channelClosed() {
        return channel.closeFuture();
    }

    // ---- DeviceConnection

    @Override
    public DeviceId device() {
        return device;
    }

    @Override
    public String method() {
        return TcpDeviceTransport.METHOD;
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public int maxInboundFrameSize() {
        return decoder.maxFrameSize();
    }

    @Override
    public boolean send(Frame frame) {
        if (closing.get()) {
            return false;
        }
        byte[] bytes;
        try {
            bytes = FrameCodec.encode(frame, ProtocolLimits.MAX_FRAME_SIZE_LIMIT);
        } catch (ProtocolException e) {
            LOG.error("Dropping a {} frame to {}: {}", frame.getBodyCase(), peer, e.getMessage());
            return false;
        }
        long waiting = unsentBytes.addAndGet(bytes.length);
        if (waiting > MAX_UNSENT_BYTES) {
            // flow control bounds what a well-behaved peer makes this side send; a peer that stops reading while
            // granting huge windows or provoking other frames (Pongs) must not make this side buffer without limit
            fail("the peer does not read: " + waiting + " bytes wait to be sent");
            return false;
        }
        outbound.add(Unpooled.wrappedBuffer(bytes));
        if (flushScheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(this::flush);
        }
        return true;
    }

    private void flush() {
        flushScheduled.set(false);
        ByteBuf next;
        boolean wrote = false;
        while ((next = outbound.poll()) != null) {
            int size = next.readableBytes();
            channel.write(next).addListener(written -> unsentBytes.addAndGet(-size));
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
    }

    @Override
    public void close(String reason) {
        if (closing.compareAndSet(false, true)) {
            closeReason = reason;
            // after the frames already queued (a Goodbye is usually the last one)
            channel.eventLoop().execute(() -> {
                flush();
                channel.close();
            });
            // at once: the event loop may be busy for a while (encrypting what a peer does not read)
            reportClosed(reason);
        }
    }

    private void reportClosed(String reason) {
        FrameHandler frames = handler;
        if (frames != null && closedReported.compareAndSet(false, true)) {
            frames.onClosed(reason);
        }
    }

    // ---- the channel

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        ByteBuf bytes = (ByteBuf) message;
        try {
            for (ByteBuffer chunk : bytes.nioBuffers()) {
                Frame frame;
                while (!closing.get() && (frame = decoder.decode(chunk)) != null) {
                    deliver(frame);
                }
            }
        } catch (ProtocolException e) {
            fail("protocol error (" + e.code().name() + "): " + e.getMessage());
        } finally {
            bytes.release();
        }
    }

    /** Hands the frame to the current handler (held while there is none); on the event loop only. */
    void deliver(Frame frame) {
        if (closedReported.get()) {
            return; // its handler heard of the close already
        }
        if (refusal != null) {
            if (frame.hasHello() && frame.getConnectionId() != 0) {
                send(Frame.newBuilder().setConnectionId(frame.getConnectionId()).setSequence(1).setError(refusal).build());
            }
            close("refused: " + refusal.getMessage());
            return;
        }
        FrameHandler frames = handler;
        if (frames == null) {
            // the certificate is still being checked (revocation is asked of the cluster)
            if (held.size() == MAX_HELD_FRAMES) {
                fail("more than " + MAX_HELD_FRAMES + " frames arrived before the device was authenticated");
            } else {
                held.add(frame);
            }
            return;
        }
        frames.onFrame(frame);
    }

    private void fail(String reason) {
        LOG.warn("Closing the tcp connection of {} ({}): {}", device == null ? "an unauthenticated device" : device, peer, reason);
        close(reason);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing.set(true);
        String reason = closeReason;
        if (reason == null) {
            try {
                decoder.endOfInput();
                reason = "the peer closed the connection";
            } catch (ProtocolException e) {
                reason = "the peer closed the connection inside a frame";
            }
            closeReason = reason;
        }
        ByteBuf pending;
        while ((pending = outbound.poll()) != null) {
            pending.release();
        }
        reportClosed(reason);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // I/O errors (reset, TLS alerts) end this connection; their text holds no secret material
        fail(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }
}
