package dev.aranya.session.agent;

import dev.aranya.protocol.v1.ErrorCode;
import java.io.IOException;

/**
 * Aranya refused the Hello. After {@code UNAUTHENTICATED}, {@code PERMISSION_DENIED}, {@code NOT_FOUND} or
 * {@code UNSUPPORTED_VERSION} the agent waits its maximum backoff before trying again (docs/protocol.md).
 */
public final class HelloRefusedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    public HelloRefusedException(ErrorCode code, String message) {
        super("Aranya refused the hello (" + code.name() + "): " + message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
