package dev.aranya.arhat.internal;

import dev.aranya.protocol.v1.ErrorCode;

/** Why a stream cannot run, in words for the kubectl user, with the protocol's error code. */
final class StreamRefused extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient ErrorCode code;

    StreamRefused(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    ErrorCode code() {
        return code;
    }
}
