package dev.aranya.api.agent;

import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.StreamEnd;
import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ProviderType;

/** One stream Aranya opened, seen from the agent. Sending is bounded by the window Aranya grants. */
@ProviderType
public interface AgentStream {
    /** The stream id, for logs. */
    long id();

    /** The work started (process spawned, socket connected): tells Aranya with {@code StreamAccepted}. */
    void accept();

    /**
     * Sends bytes on a channel as far as the send window allows.
     *
     * @return how many bytes were taken (the buffer's position advances by as many); fewer than remain means the
     *         window is spent: wait for {@link AgentStreamListener#onWritable()}
     */
    int write(Channel channel, ByteBuffer data);

    /** Whether the send window has room now. */
    boolean writable();

    /** No more data on this channel from the device (the pipe or socket closed). */
    void halfClose(Channel channel);

    /** Returns credit to Aranya for {@code bytes} delivered by {@link AgentStreamListener#onData} and handed on. */
    void consumed(int bytes);

    /** Ends the stream with an exit code or an error; the last call. Idempotent. */
    void end(StreamEnd end);
}
