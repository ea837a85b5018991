package dev.aranya.api.agent;

import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ConsumerType;

/** Receives one stream's traffic from Aranya, in order, on the protocol endpoint's threads. Must not block. */
@ConsumerType
public interface AgentStreamListener {
    /** Bytes for stdin or the forwarded socket; call {@link AgentStream#consumed(int)} once handed on. */
    void onData(Channel channel, ByteBuffer data);

    /** Aranya will send no more data on this channel (stdin closed, client shut its socket output). */
    default void onHalfClose(Channel channel) {
    }

    /** The terminal was resized (exec or attach with a TTY). */
    default void onResize(int cols, int rows) {
    }

    /** The send window reopened after {@link AgentStream#write} took less than offered. */
    default void onWritable() {
    }

    /** Aranya cancelled the stream: stop the work, then {@link AgentStream#end} it. */
    void onCancel(Cancel cancel);

    /** The connection to Aranya ended: stop the work; nothing more can be sent on this stream. */
    void onConnectionLost(String reason);
}
