package dev.aranya.api.session;

import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.StreamEnd;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One multiplexed stream to the device (an exec, attach, logs or port-forward). Sending is bounded by the window the
 * agent grants; receiving is bounded by the credit this side returns through {@link #consumed(int)}, so a stalled
 * reader on either end never makes the other buffer without limit.
 */
@ProviderType
public interface DeviceStream {
    /** Completes when the agent accepted the opening; completes exceptionally with a {@link StreamException} if not. */
    CompletionStage<Void> accepted();

    /** Completes with the stream's end (exit code or error), whichever side ended it. Never exceptionally. */
    CompletionStage<StreamEnd> ended();

    /**
     * Sends bytes on a channel, as far as the send window allows.
     *
     * @return how many bytes were taken from {@code data} (its position advances by as many); fewer than remain
     *         means the window is exhausted: wait for {@link StreamListener#onWritable()} and send the rest then
     */
    int write(Channel channel, ByteBuffer data);

    /** Whether the send window has room now. */
    boolean writable();

    /** No more data on this channel from this side (stdin closed, the client shut down its socket output). */
    void halfClose(Channel channel);

    /** A new terminal size (exec or attach with a TTY). */
    void resize(int cols, int rows);

    /**
     * Returns credit to the agent: {@code bytes} that {@link StreamListener#onData} delivered have been handed on
     * (written to the client), so the agent may send as many more.
     */
    void consumed(int bytes);

    /** Stops the stream (the client went away). The agent stops the process or closes the socket and ends it. */
    void cancel(String reason);
}
