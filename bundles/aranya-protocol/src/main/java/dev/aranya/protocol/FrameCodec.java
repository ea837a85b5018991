package dev.aranya.protocol;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Encoding and decoding of {@link Frame}s, for every transport.
 *
 * <p>Byte-stream transports (raw TCP) carry each frame as a 4-byte big-endian unsigned length {@code N}
 * followed by the {@code N} bytes of the protobuf-encoded Frame: {@link #encode(Frame, int)} writes that, a
 * {@link FrameDecoder} reads it incrementally. Message transports (MQTT) carry the bare Frame bytes as one
 * message: {@link #encodeMessage(Frame, int)} and {@link #decodeMessage(byte[], int)}. gRPC marshals Frames
 * itself, one per stream message, with its max inbound message size set to the frame size limit.
 *
 * <p>Every method takes a frame size limit in {@link ProtocolLimits#MIN_FRAME_SIZE_LIMIT}..{@link
 * ProtocolLimits#MAX_FRAME_SIZE_LIMIT}: when encoding, the limit the peer announced; when decoding, our own.
 * Decoding reports any input it cannot accept as a {@link ProtocolException} and never throws anything else.
 */
public final class FrameCodec {

    /** Bytes of the length prefix on byte-stream transports. */
    public static final int LENGTH_FIELD_SIZE = 4;

    private FrameCodec() {
    }

    /**
     * The frame as length prefix + Frame bytes, for byte-stream transports.
     *
     * @throws ProtocolException {@code FRAME_TOO_LARGE} if the encoded frame exceeds {@code maxFrameSize}
     */
    public static byte[] encode(Frame frame, int maxFrameSize) throws ProtocolException {
        int size = checkedSize(frame, maxFrameSize);
        byte[] out = new byte[LENGTH_FIELD_SIZE + size];
        out[0] = (byte) (size >>> 24);
        out[1] = (byte) (size >>> 16);
        out[2] = (byte) (size >>> 8);
        out[3] = (byte) size;
        CodedOutputStream cos = CodedOutputStream.newInstance(out, LENGTH_FIELD_SIZE, size);
        try {
            frame.writeTo(cos);
            cos.checkNoSpaceLeft();
        } catch (IOException e) {
            // cannot happen with an array of exactly getSerializedSize() bytes
            throw new IllegalStateException("protobuf wrote a different size than it computed", e);
        }
        return out;
    }

    /**
     * The bare Frame bytes, for message transports (one frame per message).
     *
     * @throws ProtocolException {@code FRAME_TOO_LARGE} if the encoded frame exceeds {@code maxFrameSize}
     */
    public static byte[] encodeMessage(Frame frame, int maxFrameSize) throws ProtocolException {
        checkedSize(frame, maxFrameSize);
        return frame.toByteArray();
    }

    /**
     * A Frame from one whole message of a message transport.
     *
     * @throws ProtocolException {@code FRAME_TOO_LARGE} if the message is longer than {@code maxFrameSize},
     *     {@code PROTOCOL_ERROR} if it is not a Frame
     */
    public static Frame decodeMessage(byte[] message, int maxFrameSize) throws ProtocolException {
        Objects.requireNonNull(message, "message");
        ProtocolLimits.checkFrameSizeLimit(maxFrameSize);
        if (message.length > maxFrameSize) {
            throw tooLarge(message.length, maxFrameSize);
        }
        return parse(ByteBuffer.wrap(message));
    }

    private static int checkedSize(Frame frame, int maxFrameSize) throws ProtocolException {
        Objects.requireNonNull(frame, "frame");
        ProtocolLimits.checkFrameSizeLimit(maxFrameSize);
        int size = frame.getSerializedSize();
        if (size > maxFrameSize) {
            throw tooLarge(size, maxFrameSize);
        }
        return size;
    }

    static ProtocolException tooLarge(long size, int maxFrameSize) {
        return new ProtocolException(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE,
                "frame of " + size + " bytes exceeds the limit of " + maxFrameSize);
    }

    /** Parses exactly the remaining bytes of {@code bytes} as one Frame. */
    static Frame parse(ByteBuffer bytes) throws ProtocolException {
        try {
            return Frame.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR, "malformed frame: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // Defence in depth: whatever the parser trips over in hostile input is the input's fault, and must
            // not escape as an unchecked exception into a transport's I/O thread.
            throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR, "malformed frame: " + e, e);
        }
    }
}
