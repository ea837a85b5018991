package dev.aranya.transport.mqtt.internal;

import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.v1.ErrorCode;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * Reassembles chunked frames of one connection, whatever order and duplicates the broker delivers. Memory is
 * bounded: at most {@value #MAX_PARTIAL_FRAMES} frames in the making, each at most the connection's maximum
 * frame size; a peer that goes beyond is breaking the protocol. Not thread-safe.
 */
final class ChunkAssembler {
    /** Frames being reassembled at once; QoS 1 redelivery can interleave the chunks of a few frames. */
    static final int MAX_PARTIAL_FRAMES = 4;

    private final int maxFrameSize;
    private final Map<Long, Partial> partials = new HashMap<>();
    /** Sequences completed here but maybe not yet delivered (held by the sequencer), so late duplicates drop. */
    private final NavigableSet<Long> completed = new TreeSet<>();

    ChunkAssembler(int maxFrameSize) {
        this.maxFrameSize = maxFrameSize;
    }

    /**
     * @param nextExpected the sequencer's next expected sequence: chunks of earlier frames are duplicates
     * @return the encoded frame once its last chunk arrived, else null
     */
    byte[] accept(Chunks.Chunk chunk, long nextExpected) throws ProtocolException {
        completed.headSet(nextExpected).clear();
        long sequence = chunk.sequence();
        if (sequence < nextExpected || completed.contains(sequence)) {
            return null;
        }
        Partial partial = partials.get(sequence);
        if (partial == null) {
            if (partials.size() >= MAX_PARTIAL_FRAMES) {
                throw new ProtocolException(ErrorCode.ERROR_CODE_RESOURCE_EXHAUSTED,
                        "more than " + MAX_PARTIAL_FRAMES + " chunked frames incomplete at once");
            }
            // senders fill chunks up to a payload of at least MIN_PAYLOAD_SIZE, which bounds the count
            if (chunk.count() > maxFrameSize / (MqttSettings.MIN_PAYLOAD_SIZE - Chunks.HEADER_SIZE) + 1) {
                throw new ProtocolException(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE,
                        "chunked frame of " + chunk.count() + " chunks exceeds the limit of " + maxFrameSize + " bytes");
            }
            partial = new Partial(chunk.count());
            partials.put(sequence, partial);
        } else if (partial.parts.length != chunk.count()) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                    "chunks of frame " + sequence + " disagree on their count");
        }
        if (partial.parts[chunk.index()] != null) {
            return null; // a redelivered chunk
        }
        int length = chunk.data().remaining();
        if (partial.size + length > maxFrameSize) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE,
                    "chunked frame " + sequence + " exceeds the limit of " + maxFrameSize + " bytes");
        }
        byte[] part = new byte[length];
        chunk.data().get(part);
        partial.parts[chunk.index()] = part;
        partial.size += length;
        partial.received++;
        if (partial.received < partial.parts.length) {
            return null;
        }
        partials.remove(sequence);
        completed.add(sequence);
        byte[] frame = new byte[partial.size];
        int offset = 0;
        for (byte[] p : partial.parts) {
            System.arraycopy(p, 0, frame, offset, p.length);
            offset += p.length;
        }
        return frame;
    }

    private static final class Partial {
        final byte[][] parts;
        int received;
        int size;

        Partial(int count) {
            this.parts = new byte[count][];
        }
    }
}
