package dev.aranya.arhat.internal;

import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.StreamEnd;

/** The {@link StreamEnd}s the agent sends. */
final class StreamEnds {
    private StreamEnds() {
    }

    static StreamEnd ok() {
        return StreamEnd.getDefaultInstance();
    }

    static StreamEnd exit(int exitCode) {
        return StreamEnd.newBuilder().setExitCode(exitCode).build();
    }

    static StreamEnd error(ErrorCode code, String message) {
        return StreamEnd.newBuilder().setError(ErrorInfo.newBuilder().setCode(code).setMessage(message)).build();
    }

    /** A refusal that carries the user-facing message of a {@link StreamRefused}. */
    static StreamEnd of(StreamRefused refused) {
        return error(refused.code(), refused.getMessage());
    }

    static String describe(StreamEnd end) {
        if (end.hasError()) {
            return end.getError().getCode().name().substring("ERROR_CODE_".length()) + ": " + end.getError().getMessage();
        }
        return end.hasExitCode() ? "exit code " + end.getExitCode() : "done";
    }
}
