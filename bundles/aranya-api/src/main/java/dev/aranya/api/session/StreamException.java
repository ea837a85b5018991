package dev.aranya.api.session;

import dev.aranya.protocol.v1.ErrorInfo;

/** A stream failed with an error the agent or the session layer reported. The message is for the user. */
public final class StreamException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient ErrorInfo error;

    public StreamException(ErrorInfo error) {
        super(error.getMessage().isEmpty() ? error.getCode().name() : error.getMessage());
        this.error = error;
    }

    public ErrorInfo error() {
        return error;
    }
}
