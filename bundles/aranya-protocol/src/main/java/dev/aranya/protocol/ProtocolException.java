package dev.aranya.protocol;

import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import java.util.Objects;

/**
 * A violation of the Aranya-arhat protocol: bytes that are not a frame, a frame over the size limit, a frame
 * in the wrong place, a flow-control or sequence violation. {@link #code()} is the {@link ErrorCode} to
 * report to the peer ({@link #toErrorInfo()}).
 */
public final class ProtocolException extends Exception {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ProtocolException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The error code to report to the peer. */
    public ErrorCode code() {
        return code;
    }

    /** This exception as the {@link ErrorInfo} to send to the peer (in a Goodbye, StreamEnd or error frame). */
    public ErrorInfo toErrorInfo() {
        return ErrorInfo.newBuilder().setCode(code).setMessage(String.valueOf(getMessage())).build();
    }

    @Override
    public String toString() {
        return "ProtocolException[" + code + "]: " + getMessage();
    }
}
