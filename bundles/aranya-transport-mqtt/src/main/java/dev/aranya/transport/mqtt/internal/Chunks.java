package dev.aranya.transport.mqtt.internal;

import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.v1.ErrorCode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an encoded frame that is larger than one broker message into chunks. A chunk message starts with the
 * byte {@code 0x00}, which never starts an encoded {@code Frame} (protobuf has no field 0), followed by the
 * frame's connection id and sequence (8 bytes each, big-endian), the chunk's index and the chunk count (4 bytes
 * each), then the chunk's share of the encoded frame. A frame that fits goes out bare, as protocol.md says.
 */
final class Chunks {
    static final byte MARKER = 0x00;
    static final int HEADER_SIZE = 1 + 8 + 8 + 4 + 4;

    /**
     * A parsed chunk header and its bytes.
     *
     * @param data the chunk's share of the frame (a view of the message)
     */
    record Chunk(long connectionId, long sequence, int index, int count, ByteBuffer data) {
    }

    private Chunks() {
    }

    /** The messages that carry {@code encodedFrame}: itself if it fits, otherwise its chunks. */
    static List<byte[]> split(byte[] encodedFrame, long connectionId, long sequence, int maxPayload) {
        if (encodedFrame.length <= maxPayload) {
            return List.of(encodedFrame);
        }
        // a broker announcing less than the minimum payload cannot carry the protocol anyway; chunks never shrink below it
        int share = Math.max(maxPayload, MqttSettings.MIN_PAYLOAD_SIZE) - HEADER_SIZE;
        int count = (encodedFrame.length + share - 1) / share;
        List<byte[]> messages = new ArrayList<>(count);
        for (int index = 0; index < count; index++) {
            int offset = index * share;
            int length = Math.min(share, encodedFrame.length - offset);
            ByteBuffer message = ByteBuffer.allocate(HEADER_SIZE + length);
            message.put(MARKER).putLong(connectionId).putLong(sequence).putInt(index).putInt(count)
                    .put(encodedFrame, offset, length);
            messages.add(message.array());
        }
        return messages;
    }

    static boolean isChunk(byte[] message) {
        return message.length > 0 && message[0] == MARKER;
    }

    static Chunk parse(byte[] message) throws ProtocolException {
        if (message.length <= HEADER_SIZE) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                    "chunk message of " + message.length + " bytes has no data");
        }
        ByteBuffer in = ByteBuffer.wrap(message, 1, message.length - 1);
        long connectionId = in.getLong();
        long sequence = in.getLong();
        int index = in.getInt();
        int count = in.getInt();
        if (count < 2 || index < 0 || index >= count) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                    "chunk " + index + " of " + count + " is impossible");
        }
        return new Chunk(connectionId, sequence, index, count, in.slice());
    }
}
