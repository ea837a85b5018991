package dev.aranya.api.session;

import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.StreamEnd;
import java.nio.ByteBuffer;
import org.osgi.annotation.versioning.ConsumerType;

/** Receives one stream's traffic from the device, in order, on the session's threads. Must not block. */
@ConsumerType
public interface StreamListener {
    /**
     * Bytes arrived on a channel. The buffer is the listener's; once its bytes are handed on, call
     * {@link DeviceStream#consumed(int)} with their count, or the agent stops sending when its window is spent.
     */
    void onData(Channel channel, ByteBuffer data);

    /** The agent will send no more data on this channel. */
    default void onHalfClose(Channel channel) {
    }

    /** The send window reopened after {@link DeviceStream#write} took less than offered. */
    default void onWritable() {
    }

    /**
     * The stream ended: the last call. An end with an error comes from the agent, from a cancel, or from the loss
     * of the session ({@code UNAVAILABLE}).
     */
    void onEnd(StreamEnd end);
}
