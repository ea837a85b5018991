package dev.aranya.transport.mqtt.internal;

import dev.aranya.protocol.FrameCodec;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.v1.Frame;

/**
 * A message from {@code /msg} or {@code /cmd}: a bare frame, decoded, or a chunk of one. Either way its
 * connection id is known, so it can be routed before any per-connection state is touched.
 */
record InboundMessage(long connectionId, long sequence, Frame frame, Chunks.Chunk chunk) {
    static InboundMessage parse(byte[] payload, int maxFrameSize) throws ProtocolException {
        if (Chunks.isChunk(payload)) {
            Chunks.Chunk chunk = Chunks.parse(payload);
            return new InboundMessage(chunk.connectionId(), chunk.sequence(), null, chunk);
        }
        Frame frame = FrameCodec.decodeMessage(payload, maxFrameSize);
        return new InboundMessage(frame.getConnectionId(), frame.getSequence(), frame, null);
    }

    /** Whether this message can start a connection: its Hello, or the first chunk of a chunked Hello. */
    boolean mayOpenConnection() {
        return frame != null ? frame.hasHello() : sequence == 1;
    }
}
