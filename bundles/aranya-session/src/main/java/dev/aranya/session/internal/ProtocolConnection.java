package dev.aranya.session.internal;

import com.google.protobuf.Timestamp;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.Direction;
import dev.aranya.protocol.Frames;
import dev.aranya.protocol.InboundSequencer;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Goodbye;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.Ping;
import dev.aranya.protocol.v1.Pong;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The part of one protocol connection that both ends share: inbound checks (connection id, {@link Frames#validate},
 * strict sequence), outbound sequencing, heartbeats and liveness, the stream table, Goodbye, and the end of the
 * connection. Aranya's {@link CloudSession} and the agent's {@link AgentSession} add the handshake and their side
 * of the streams.
 *
 * <p>All state is guarded by one lock per connection; listener callbacks are queued under it and run after it is
 * released ({@link CallbackQueue}). Inbound frames are handled on the transport's thread without blocking.
 *
 * @param <S> the stream type of this side
 */
public abstract class ProtocolConnection<S extends StreamCore> implements FrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ProtocolConnection.class);

    protected final ReentrantLock lock = new ReentrantLock();
    protected final CallbackQueue callbacks = new CallbackQueue();
    protected final ScheduledExecutorService scheduler;
    /** Open streams by id; guarded by {@link #lock}. */
    protected final Map<Long, S> streams = new HashMap<>();

    private final Direction inbound;
    private final InboundSequencer sequencer = new InboundSequencer(0);
    private DeviceConnection transport;
    private long connectionId;
    private long nextSequence = 1;
    private long highestStreamId;
    private long lastReceivedNanos = System.nanoTime();
    private volatile Instant lastSeen = Instant.now();
    private long lastPingNanos;
    private boolean closed;
    private ScheduledFuture<?> liveness;

    private Duration heartbeatInterval = ProtocolLimits.DEFAULT_HEARTBEAT_INTERVAL;
    private int heartbeatMissLimit = ProtocolLimits.DEFAULT_HEARTBEAT_MISS_LIMIT;
    private boolean pinging;

    /** Largest frame the peer accepts: bounds the Data payloads this side sends. */
    protected int peerMaxFrameSize = ProtocolLimits.DEFAULT_MAX_FRAME_SIZE;
    /** Initial window of the Data this side sends (announced by the peer). */
    protected int sendInitialWindow = ProtocolLimits.DEFAULT_INITIAL_STREAM_WINDOW;
    /** Initial window of the Data this side receives (announced by this side). */
    protected int receiveInitialWindow = ProtocolLimits.DEFAULT_INITIAL_STREAM_WINDOW;

    protected ProtocolConnection(Direction inbound, ScheduledExecutorService scheduler, long connectionId) {
        this.inbound = inbound;
        this.scheduler = scheduler;
        this.connectionId = connectionId;
    }

    /** For logs: which device and connection this is. */
    protected abstract String describe();

    /** Whether the hello exchange is complete; before, every frame goes to {@link #handshake}. */
    protected abstract boolean handshakeDone();

    /** A frame received before the handshake completed. */
    protected abstract void handshake(Frame frame) throws ProtocolException;

    /** A frame on stream 0 or a stream-opening frame that the shared code does not handle. */
    protected abstract void onRoleFrame(Frame frame) throws ProtocolException;

    /** The connection is gone; called once, under the lock, after every stream was ended. */
    protected abstract void onTerminated(String reason);

    /** Runs after the lock is released and this connection's callbacks ran (for registry notifications). */
    protected void afterUnlock() {
    }

    // ---- threading

    protected final void locked(Runnable action) {
        locked(() -> {
            action.run();
            return null;
        });
    }

    protected final <T> T locked(Supplier<T> action) {
        String outerDevice = MDC.get(DeviceId.LOG_KEY);
        DeviceId device = logDevice();
        if (device != null) {
            MDC.put(DeviceId.LOG_KEY, device.toString());
        }
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
            try {
                drainIfUnlocked();
            } finally {
                if (outerDevice != null) {
                    MDC.put(DeviceId.LOG_KEY, outerDevice);
                } else {
                    MDC.remove(DeviceId.LOG_KEY);
                }
            }
        }
    }

    /** The device whose log context this connection's work runs in (every line it logs names it), or null. */
    protected DeviceId logDevice() {
        return null;
    }

    private void drainIfUnlocked() {
        if (!lock.isHeldByCurrentThread()) {
            callbacks.drain();
            afterUnlock();
        }
    }

    // ---- state shared with the subclasses

    protected final void attach(DeviceConnection connection) {
        lock.lock();
        try {
            this.transport = connection;
        } finally {
            lock.unlock();
        }
    }

    protected final DeviceConnection transport() {
        return transport;
    }

    /** The connection id (0 on Aranya's side until the Hello arrived). */
    public final long connectionId() {
        return connectionId;
    }

    protected final boolean isClosed() {
        return closed;
    }

    public final Instant lastSeen() {
        return lastSeen;
    }

    protected final long highestStreamId() {
        return highestStreamId;
    }

    protected final void streamOpened(long id) {
        highestStreamId = id;
    }

    /** Starts heartbeats and the liveness check with the timers the handshake settled. */
    protected final void startHeartbeats(Duration interval, int missLimit) {
        pinging = true;
        startLiveness(interval, missLimit);
    }

    /**
     * Starts only the liveness check: before the handshake, a peer that says nothing for
     * {@code interval * missLimit} is dropped.
     */
    protected final void startLiveness(Duration interval, int missLimit) {
        heartbeatInterval = interval;
        heartbeatMissLimit = missLimit;
        if (!handshakeDone()) {
            lastReceivedNanos = System.nanoTime(); // the wait for the hello starts now, not when this object was made
        }
        if (liveness != null) {
            liveness.cancel(false);
        }
        long tick = Math.max(10, heartbeatInterval.toMillis() / 4);
        liveness = scheduler.scheduleWithFixedDelay(() -> locked(this::checkLiveness), tick, tick, TimeUnit.MILLISECONDS);
    }

    private void checkLiveness() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        Duration deadAfter = heartbeatInterval.multipliedBy(heartbeatMissLimit);
        if (now - lastReceivedNanos > deadAfter.toNanos()) {
            String reason = "no frame from the peer for " + deadAfter.toMillis() + " ms: peer dead";
            LOG.warn("{}: {}", describe(), reason);
            terminate(reason, goodbye(GoodbyeReason.GOODBYE_REASON_HEARTBEAT_TIMEOUT, reason, null));
            return;
        }
        if (pinging && now - lastPingNanos >= heartbeatInterval.toNanos()) {
            lastPingNanos = now;
            send(Frame.newBuilder().setPing(Ping.newBuilder()
                    .setNonce(ThreadLocalRandom.current().nextLong()).setSentAt(now()).build()));
        }
    }

    // ---- sending

    /** Stamps the frame with the connection id and the next sequence and hands it to the transport. */
    protected final void send(Frame.Builder frame) {
        if (closed || transport == null) {
            return;
        }
        frame.setConnectionId(connectionId).setSequence(nextSequence++);
        transport.send(frame.build());
    }

    /** Largest Data payload the peer accepts in one frame. */
    final int maxDataPayload() {
        return ProtocolLimits.maxDataPayload(peerMaxFrameSize);
    }

    protected static Goodbye goodbye(GoodbyeReason reason, String message, ErrorInfo error) {
        Goodbye.Builder goodbye = Goodbye.newBuilder().setReason(reason).setMessage(message);
        if (error != null) {
            goodbye.setError(error);
        }
        return goodbye.build();
    }

    protected static Timestamp now() {
        Instant now = Instant.now();
        return Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
    }

    // ---- receiving

    @Override
    public final void onFrame(Frame frame) {
        locked(() -> receive(frame));
    }

    @Override
    public final void onClosed(String reason) {
        locked(() -> {
            if (!closed) {
                LOG.info("{}: connection closed: {}", describe(), reason);
                terminate(reason, null);
            }
        });
    }

    private void receive(Frame frame) {
        if (closed) {
            return;
        }
        lastReceivedNanos = System.nanoTime();
        lastSeen = Instant.now();
        try {
            if (connectionId == 0) {
                connectionId = frame.getConnectionId();
            } else if (frame.getConnectionId() != connectionId) {
                throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR, "frame of connection "
                        + Long.toHexString(frame.getConnectionId()) + " on connection " + Long.toHexString(connectionId));
            }
            Frames.validate(frame, inbound);
            for (Frame next : sequencer.accept(frame)) {
                if (closed) {
                    return;
                }
                dispatch(next);
            }
        } catch (ProtocolException e) {
            protocolError(e);
        } catch (RuntimeException e) {
            // a bug on this side: end the connection rather than leave it in an unknown state
            LOG.error("{}: failed to handle a {} frame", describe(), frame.getBodyCase(), e);
            terminate("internal error", goodbye(GoodbyeReason.GOODBYE_REASON_SHUTDOWN, "internal error", null));
        }
    }

    /** Ends the connection because the peer broke the protocol. */
    protected final void protocolError(ProtocolException e) {
        String reason = "protocol error (" + e.code().name() + "): " + e.getMessage();
        LOG.warn("{}: {}; closing the connection", describe(), reason);
        terminate(reason, connectionId == 0 ? null
                : goodbye(GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR, e.getMessage(), e.toErrorInfo()));
    }

    private void dispatch(Frame frame) throws ProtocolException {
        if (!handshakeDone()) {
            handshake(frame);
            return;
        }
        switch (frame.getBodyCase()) {
            case PING -> send(Frame.newBuilder().setPong(Pong.newBuilder().setNonce(frame.getPing().getNonce())
                    .setPingSentAt(frame.getPing().getSentAt()).setSentAt(now())));
            case PONG -> {
                // any frame proves liveness; the round trip is not used yet
            }
            case GOODBYE -> {
                Goodbye goodbye = frame.getGoodbye();
                String reason = "peer said goodbye (" + goodbye.getReason().name() + ")"
                        + (goodbye.getMessage().isEmpty() ? "" : ": " + goodbye.getMessage());
                LOG.info("{}: {}", describe(), reason);
                onGoodbye(goodbye);
                terminate(reason, null);
            }
            case ERROR -> LOG.warn("{}: the peer reported an error: {} {}", describe(),
                    frame.getError().getCode().name(), frame.getError().getMessage());
            case DATA, WINDOW_UPDATE, HALF_CLOSE -> {
                S stream = existingStream(frame);
                if (stream != null) {
                    try {
                        switch (frame.getBodyCase()) {
                            case DATA -> stream.receiveData(frame.getData());
                            case WINDOW_UPDATE -> stream.receiveCredit(Integer.toUnsignedLong(frame.getWindowUpdate().getCredit()));
                            default -> stream.receiveHalfClose(frame.getHalfClose().getChannel());
                        }
                    } catch (ProtocolException e) {
                        LOG.warn("{}: stream {} failed: {}", describe(), stream.id(), e.getMessage());
                        stream.fail(e.toErrorInfo());
                    }
                }
            }
            case BODY_NOT_SET -> {
                if (frame.getStreamId() == 0) {
                    send(Frame.newBuilder().setError(ErrorInfo.newBuilder().setCode(ErrorCode.ERROR_CODE_UNSUPPORTED)
                            .setMessage("unknown frame body").setRefSequence(frame.getSequence())));
                } else {
                    onRoleFrame(frame);
                }
            }
            default -> onRoleFrame(frame);
        }
    }

    /** Hook: the peer's Goodbye, before the connection ends. */
    protected void onGoodbye(Goodbye goodbye) {
    }

    /**
     * The open stream a frame is for, or null for a stream that already ended (its late frames are dropped).
     *
     * @throws ProtocolException for a stream id above every id opened so far
     */
    protected final S existingStream(Frame frame) throws ProtocolException {
        S stream = streams.get(frame.getStreamId());
        if (stream == null && Long.compareUnsigned(frame.getStreamId(), highestStreamId) > 0) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR, frame.getBodyCase() + " for stream "
                    + Long.toUnsignedString(frame.getStreamId()) + ", which was never opened");
        }
        return stream;
    }

    // ---- the end

    /**
     * Ends the connection once: sends the Goodbye if given, closes the transport, ends every stream.
     * Call under the lock.
     */
    protected final void terminate(String reason, Goodbye goodbye) {
        if (closed) {
            return;
        }
        if (goodbye != null) {
            send(Frame.newBuilder().setGoodbye(goodbye));
        }
        closed = true;
        if (liveness != null) {
            liveness.cancel(false);
        }
        List<S> open = new ArrayList<>(streams.values());
        streams.clear();
        for (S stream : open) {
            stream.connectionLost(reason);
        }
        onTerminated(reason);
        if (transport != null) {
            transport.close(reason);
        }
    }

    /** Ends the connection from this side with a Goodbye (from any thread). */
    public final void close(GoodbyeReason why, String reason) {
        locked(() -> {
            if (!closed) {
                LOG.info("{}: closing: {}", describe(), reason);
                terminate(reason, goodbye(why, reason, null));
            }
        });
    }
}
