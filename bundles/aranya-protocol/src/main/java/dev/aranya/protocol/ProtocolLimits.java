package dev.aranya.protocol;

import dev.aranya.protocol.v1.ErrorCode;
import java.time.Duration;

/**
 * Limits and defaults of the protocol (docs/protocol.md, "Limits"). A limit announced as 0 in Hello or HelloAck
 * means the default here; {@link #resolveMaxFrameSize(int)} and {@link #resolveInitialWindow(int)} turn an
 * announced value into the effective one and reject values a peer may not announce.
 */
public final class ProtocolLimits {

    /** Max frame size (encoded Frame bytes, without the TCP length prefix) when none is announced: 1 MiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 1 << 20;

    /** Smallest max frame size a peer may announce (16 KiB); a Hello must fit in it. */
    public static final int MIN_FRAME_SIZE_LIMIT = 16 << 10;

    /** Largest max frame size a peer may announce (16 MiB). */
    public static final int MAX_FRAME_SIZE_LIMIT = 16 << 20;

    /**
     * Upper bound of everything in a Data frame except the payload: the Frame header at its largest
     * (stream id and sequence at 2^64 - 1, connection id) and the Data and payload framing.
     */
    public static final int DATA_FRAME_OVERHEAD = 64;

    /** Initial window of a stream when none is announced: 256 KiB. */
    public static final int DEFAULT_INITIAL_STREAM_WINDOW = 256 << 10;

    /** Largest window a stream may have (2^31 - 1), as in HTTP/2. */
    public static final int MAX_WINDOW = Integer.MAX_VALUE;

    /** Concurrent streams on a connection when the agent announces none. */
    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 64;

    /** Heartbeat interval when the HelloAck gives none. */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);

    /** Heartbeat intervals without any frame after which the peer is dead, when the HelloAck gives none. */
    public static final int DEFAULT_HEARTBEAT_MISS_LIMIT = 3;

    /** NodeStatus interval when the HelloAck gives none. */
    public static final Duration DEFAULT_STATUS_INTERVAL = Duration.ofSeconds(30);

    private ProtocolLimits() {
    }

    /**
     * The effective max frame size for an announced value: 0 means {@link #DEFAULT_MAX_FRAME_SIZE}; a value
     * below {@link #MIN_FRAME_SIZE_LIMIT} is refused ({@code BAD_REQUEST}); a value above
     * {@link #MAX_FRAME_SIZE_LIMIT} is capped to it (a receiver may always take less than it was offered).
     */
    public static int resolveMaxFrameSize(int announced) throws ProtocolException {
        if (announced == 0) {
            return DEFAULT_MAX_FRAME_SIZE;
        }
        long value = Integer.toUnsignedLong(announced);
        if (value < MIN_FRAME_SIZE_LIMIT) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_BAD_REQUEST,
                    "max frame size " + value + " is below the minimum " + MIN_FRAME_SIZE_LIMIT);
        }
        return (int) Math.min(value, MAX_FRAME_SIZE_LIMIT);
    }

    /**
     * The effective initial stream window for an announced value: 0 means
     * {@link #DEFAULT_INITIAL_STREAM_WINDOW}; values above {@link #MAX_WINDOW} are refused ({@code BAD_REQUEST}).
     */
    public static int resolveInitialWindow(int announced) throws ProtocolException {
        if (announced == 0) {
            return DEFAULT_INITIAL_STREAM_WINDOW;
        }
        if (announced < 0) { // an unsigned value above 2^31 - 1
            throw new ProtocolException(ErrorCode.ERROR_CODE_BAD_REQUEST,
                    "initial window " + Integer.toUnsignedString(announced) + " exceeds " + MAX_WINDOW);
        }
        return announced;
    }

    /** The largest Data payload that fits in one frame under the given max frame size. */
    public static int maxDataPayload(int maxFrameSize) {
        checkFrameSizeLimit(maxFrameSize);
        return maxFrameSize - DATA_FRAME_OVERHEAD;
    }

    /** Rejects a configured frame size limit outside {@link #MIN_FRAME_SIZE_LIMIT}..{@link #MAX_FRAME_SIZE_LIMIT}. */
    static void checkFrameSizeLimit(int maxFrameSize) {
        if (maxFrameSize < MIN_FRAME_SIZE_LIMIT || maxFrameSize > MAX_FRAME_SIZE_LIMIT) {
            throw new IllegalArgumentException("max frame size " + maxFrameSize + " outside "
                    + MIN_FRAME_SIZE_LIMIT + ".." + MAX_FRAME_SIZE_LIMIT);
        }
    }
}
