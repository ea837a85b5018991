package dev.aranya.protocol;

import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Incremental decoder of length-prefixed frames (the byte-stream format of {@link FrameCodec}) for one
 * connection. Feed it the bytes as they arrive, in any split:
 *
 * <pre>{@code
 * Frame frame;
 * while ((frame = decoder.decode(received)) != null) {
 *     handle(frame);
 * }
 * // all of `received` is consumed now; call again when more bytes arrive, and endOfInput() at EOF
 * }</pre>
 *
 * <p>A declared length above the limit is refused as soon as the 4 length bytes are read, before anything is
 * allocated for the frame. Bytes of an incomplete frame are copied into a buffer that grows with the bytes
 * actually received (doubling, from at most 8 KiB) and never beyond the declared length, so it is never larger
 * than the limit, and a peer that declares a large frame and stalls pins at most about twice what it sent.
 * A complete frame that is already in the input buffer is parsed in place without copying.
 *
 * <p>Any input the decoder cannot accept is reported as a {@link ProtocolException}
 * ({@code FRAME_TOO_LARGE} or {@code PROTOCOL_ERROR}); nothing else is thrown for any input. After a
 * ProtocolException the byte stream cannot be resynchronised: the decoder keeps throwing it and the connection
 * must be closed. Not thread-safe: use it from the thread that reads the connection.
 */
public final class FrameDecoder {

    private static final int INITIAL_BUFFER = 8 << 10;

    private final int maxFrameSize;

    private int headerBytes;      // length bytes read so far (0..4)
    private long declaredLength;  // valid when headerBytes == 4
    private byte[] buffer;        // body bytes of an incomplete frame, or null
    private int buffered;         // body bytes in buffer
    private ProtocolException failure;

    /**
     * @param maxFrameSize our receive limit (the value we announce), in
     *     {@link ProtocolLimits#MIN_FRAME_SIZE_LIMIT}..{@link ProtocolLimits#MAX_FRAME_SIZE_LIMIT}
     */
    public FrameDecoder(int maxFrameSize) {
        ProtocolLimits.checkFrameSizeLimit(maxFrameSize);
        this.maxFrameSize = maxFrameSize;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    /**
     * Decodes the next frame from {@code in}, consuming only its bytes; or consumes all of {@code in} into the
     * pending frame and returns null if it does not complete one.
     *
     * @throws ProtocolException {@code FRAME_TOO_LARGE} for a declared length above the limit,
     *     {@code PROTOCOL_ERROR} for bytes that are not a Frame; then on every later call
     */
    public Frame decode(ByteBuffer in) throws ProtocolException {
        Objects.requireNonNull(in, "in");
        if (failure != null) {
            throw failure;
        }
        while (headerBytes < FrameCodec.LENGTH_FIELD_SIZE) {
            if (!in.hasRemaining()) {
                return null;
            }
            declaredLength = (declaredLength << 8) | (in.get() & 0xFF);
            headerBytes++;
        }
        if (declaredLength > maxFrameSize) {
            throw fail(FrameCodec.tooLarge(declaredLength, maxFrameSize));
        }
        int length = (int) declaredLength;
        if (buffer == null && in.remaining() >= length) {
            // the whole frame is in the input: parse it in place
            ByteBuffer body = in.slice();
            body.limit(length);
            in.position(in.position() + length);
            reset();
            return parseOrFail(body);
        }
        int take = Math.min(length - buffered, in.remaining());
        if (take == 0) {
            return null;
        }
        ensureCapacity(buffered + take, length);
        in.get(buffer, buffered, take);
        buffered += take;
        if (buffered < length) {
            return null;
        }
        ByteBuffer body = ByteBuffer.wrap(buffer, 0, length);
        reset();
        return parseOrFail(body);
    }

    /**
     * Call when the byte stream has ended: a frame cut off by the end is reported.
     *
     * @throws ProtocolException {@code PROTOCOL_ERROR} if part of a frame was received but not all of it
     */
    public void endOfInput() throws ProtocolException {
        if (failure != null) {
            throw failure;
        }
        if (hasPartialFrame()) {
            String what = headerBytes < FrameCodec.LENGTH_FIELD_SIZE
                    ? headerBytes + " of " + FrameCodec.LENGTH_FIELD_SIZE + " length bytes"
                    : buffered + " of " + declaredLength + " frame bytes";
            throw fail(new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                    "input ended inside a frame after " + what));
        }
    }

    /** Whether bytes of an incomplete frame are held (the stream is between frames if not). */
    public boolean hasPartialFrame() {
        return headerBytes > 0;
    }

    /** Capacity of the buffer held for an incomplete frame; for tests. */
    int bufferCapacity() {
        return buffer == null ? 0 : buffer.length;
    }

    private void ensureCapacity(int needed, int length) {
        if (buffer == null) {
            buffer = new byte[Math.min(length, Math.max(needed, INITIAL_BUFFER))];
        } else if (buffer.length < needed) {
            int grown = (int) Math.min(length, Math.max((long) needed, 2L * buffer.length));
            byte[] larger = new byte[grown];
            System.arraycopy(buffer, 0, larger, 0, buffered);
            buffer = larger;
        }
    }

    private void reset() {
        headerBytes = 0;
        declaredLength = 0;
        buffer = null;
        buffered = 0;
    }

    private Frame parseOrFail(ByteBuffer body) throws ProtocolException {
        try {
            return FrameCodec.parse(body);
        } catch (ProtocolException e) {
            throw fail(e);
        }
    }

    private ProtocolException fail(ProtocolException e) {
        failure = e;
        buffer = null;
        return e;
    }
}
