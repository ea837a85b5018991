package dev.aranya.protocol;

import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Restores the exact frame order of one direction of one connection from {@link Frame#getSequence()}
 * (docs/protocol.md, "Sequence numbers"). Frames are released in sequence order starting at 1, each exactly
 * once.
 *
 * <ul>
 *   <li><b>Strict</b> ({@code reorderLimit} 0), for transports that neither lose, duplicate nor reorder (TCP,
 *       gRPC): every frame must be the next one, anything else is a {@code PROTOCOL_ERROR}.</li>
 *   <li><b>Reordering</b> ({@code reorderLimit} &gt; 0), for MQTT QoS 1: a frame already released or already
 *       held is a duplicate and dropped; a frame ahead of the next one is held until the gap is filled, at most
 *       {@code reorderLimit} sequence numbers ahead (so at most {@code reorderLimit} frames are held); a frame
 *       further ahead means frames were lost, a {@code PROTOCOL_ERROR}. A gap that stays open
 *       ({@link #heldCount()} &gt; 0) for a heartbeat timeout also means loss: the caller ends the connection.</li>
 * </ul>
 *
 * <p>A Goodbye with sequence 0 (sent by a peer without state for the connection) is released at once in both
 * modes. Run {@link Frames#validate} and the connection id check before. Not thread-safe.
 */
public final class InboundSequencer {

    private final int reorderLimit;
    private final Map<Long, Frame> held = new HashMap<>();
    private long next = 1;

    /** @param reorderLimit 0 for strict order; otherwise how far ahead of the next frame a frame may arrive */
    public InboundSequencer(int reorderLimit) {
        if (reorderLimit < 0) {
            throw new IllegalArgumentException("negative reorder limit " + reorderLimit);
        }
        this.reorderLimit = reorderLimit;
    }

    /** The sequence number of the next frame to release. */
    public long nextExpected() {
        return next;
    }

    /** Frames held, waiting for an earlier one. */
    public int heldCount() {
        return held.size();
    }

    /**
     * Accepts a received frame.
     *
     * @return the frames now released, in order: empty for a duplicate or a held frame; this frame followed by
     *     the held frames it unblocks
     * @throws ProtocolException {@code PROTOCOL_ERROR} for a frame out of order (strict) or too far ahead, or a
     *     sequence 0 on anything but a Goodbye
     */
    public List<Frame> accept(Frame frame) throws ProtocolException {
        long seq = frame.getSequence();
        if (seq == 0) {
            if (frame.getBodyCase() != Frame.BodyCase.GOODBYE) {
                throw violation("sequence 0 on " + frame.getBodyCase());
            }
            return List.of(frame);
        }
        if (Long.compareUnsigned(seq, next) < 0) {
            if (reorderLimit == 0) {
                throw violation("repeated sequence " + Long.toUnsignedString(seq) + ", expected "
                        + Long.toUnsignedString(next));
            }
            return List.of();
        }
        if (seq != next) {
            long ahead = seq - next;
            if (reorderLimit == 0 || Long.compareUnsigned(ahead, reorderLimit) > 0) {
                throw violation("sequence " + Long.toUnsignedString(seq) + " while expecting "
                        + Long.toUnsignedString(next) + (reorderLimit == 0 ? "" : ": frames lost"));
            }
            held.putIfAbsent(seq, frame);
            return List.of();
        }
        next++;
        if (held.isEmpty()) {
            return List.of(frame);
        }
        List<Frame> released = new ArrayList<>();
        released.add(frame);
        Frame following;
        while ((following = held.remove(next)) != null) {
            released.add(following);
            next++;
        }
        return released;
    }

    private static ProtocolException violation(String message) {
        return new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR, message);
    }
}
