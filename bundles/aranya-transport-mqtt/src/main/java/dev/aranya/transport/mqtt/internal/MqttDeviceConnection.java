package dev.aranya.transport.mqtt.internal;

import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.Direction;
import dev.aranya.protocol.FrameCodec;
import dev.aranya.protocol.Frames;
import dev.aranya.protocol.InboundSequencer;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One protocol connection over a broker, on either side. Inbound messages go through reassembly, decoding,
 * validation and the reordering {@link InboundSequencer}, so the handler sees each frame once and in order;
 * outbound frames are chunked to the broker's payload limit and published at QoS 1.
 */
final class MqttDeviceConnection implements DeviceConnection {
    /** Frames held while an earlier one is missing (protocol.md's suggested MQTT reorder limit). */
    static final int REORDER_LIMIT = 256;
    private static final Logger LOG = LoggerFactory.getLogger(MqttDeviceConnection.class);

    /** Where outbound messages go. */
    interface Outbound {
        void publish(byte[] payload) throws IOException;
    }

    private final DeviceId device;
    private final long connectionId;
    private final Direction inbound;
    private final String peer;
    private final int maxInboundFrameSize;
    private final IntSupplier maxPayload;
    private final Outbound outbound;
    private final Consumer<MqttDeviceConnection> onClosed;
    private final InboundSequencer sequencer = new InboundSequencer(REORDER_LIMIT);
    private final ChunkAssembler assembler;
    private volatile FrameHandler handler;
    /**
     * The id the agent's session layer put on its Hello, when it differs from {@link #connectionId}: the agent's
     * link must name the connection before its session exists (the Last Will carries the id), so frames travel with
     * the link's id and the session sees its own. 0 on Aranya's side, which takes the id from the Hello.
     */
    private volatile long sessionConnectionId;
    private boolean closed; // guarded by this
    private String closeReason; // guarded by this
    private boolean handlerToldClosed; // guarded by this

    /**
     * @param inbound    the direction of the frames this side receives
     * @param maxPayload the current largest message the broker takes
     * @param onClosed   told once when the connection closes, before the handler
     */
    MqttDeviceConnection(DeviceId device, long connectionId, Direction inbound, String peer, int maxInboundFrameSize,
                         IntSupplier maxPayload, Outbound outbound, Consumer<MqttDeviceConnection> onClosed) {
        this.device = device;
        this.connectionId = connectionId;
        this.inbound = inbound;
        this.peer = peer;
        this.maxInboundFrameSize = maxInboundFrameSize;
        this.maxPayload = maxPayload;
        this.outbound = outbound;
        this.onClosed = onClosed;
        this.assembler = new ChunkAssembler(maxInboundFrameSize);
    }

    /**
     * Hands the connection to its handler. A connection closed before this (the transport stopping while the
     * session layer took it) tells the new handler at once: otherwise its session would never end.
     */
    void setHandler(FrameHandler handler) {
        String reason;
        synchronized (this) {
            this.handler = handler;
            if (!closed || handlerToldClosed) {
                return;
            }
            handlerToldClosed = true;
            reason = closeReason;
        }
        handler.onClosed(reason);
    }

    long connectionId() {
        return connectionId;
    }

    /** A message of this connection arrived (a bare frame already decoded, or a chunk). */
    void accept(InboundMessage message) {
        List<Frame> ready;
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                Frame frame = message.frame();
                if (frame == null) {
                    byte[] encoded = assembler.accept(message.chunk(), sequencer.nextExpected());
                    if (encoded == null) {
                        return;
                    }
                    frame = FrameCodec.decodeMessage(encoded, maxInboundFrameSize);
                    if (frame.getConnectionId() != connectionId || frame.getSequence() != message.chunk().sequence()) {
                        throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                                "a reassembled frame does not match its chunks' connection and sequence");
                    }
                }
                Frames.validate(frame, inbound);
                ready = sequencer.accept(frame);
            } catch (ProtocolException e) {
                LOG.warn("Closing MQTT connection {} of {} ({}): {}", Long.toUnsignedString(connectionId, 16), device,
                        peer, e.getMessage());
                ready = null;
                closeLocked("protocol error on MQTT connection: " + e.getMessage());
            }
        }
        if (ready == null) {
            notifyClosed();
            return;
        }
        // delivery outside the lock; the broker client's single callback thread keeps the order
        FrameHandler target = handler;
        long sessionId = sessionConnectionId;
        for (Frame frame : ready) {
            target.onFrame(sessionId == 0 ? frame : frame.toBuilder().setConnectionId(sessionId).build());
        }
    }

    @Override
    public DeviceId device() {
        return device;
    }

    @Override
    public String method() {
        return MqttDeviceTransport.METHOD;
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public int maxInboundFrameSize() {
        return maxInboundFrameSize;
    }

    @Override
    public synchronized boolean send(Frame frame) {
        if (closed) {
            return false;
        }
        if (frame.getConnectionId() != connectionId && inbound == Direction.ARANYA_TO_AGENT) {
            if (sessionConnectionId == 0) {
                sessionConnectionId = frame.getConnectionId();
            }
            frame = frame.toBuilder().setConnectionId(connectionId).build();
        }
        try {
            // the session layer keeps to the peer's announced limit; this only guards the protocol's ceiling
            byte[] encoded = FrameCodec.encodeMessage(frame, ProtocolLimits.MAX_FRAME_SIZE_LIMIT);
            for (byte[] message : Chunks.split(encoded, connectionId, frame.getSequence(), maxPayload.getAsInt())) {
                outbound.publish(message);
            }
            return true;
        } catch (ProtocolException | IOException e) {
            LOG.warn("Cannot send to {} over MQTT ({}): {}", device, peer, e.getMessage());
            return false;
        }
    }

    @Override
    public void close(String reason) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closeLocked(reason);
        }
        notifyClosed();
    }

    private void closeLocked(String reason) {
        closed = true;
        closeReason = reason;
    }

    private void notifyClosed() {
        onClosed.accept(this);
        FrameHandler target;
        String reason;
        synchronized (this) {
            target = handlerToldClosed ? null : handler;
            handlerToldClosed |= target != null;
            reason = closeReason;
        }
        if (target != null) {
            target.onClosed(reason);
        }
    }

    @Override
    public String toString() {
        return "MQTT connection " + Long.toUnsignedString(connectionId, 16) + " of " + device + " (" + peer + ")";
    }
}
