package dev.aranya.api.agent;

import dev.aranya.protocol.v1.Frame;
import org.osgi.annotation.versioning.ConsumerType;

/** Does on the device host what the streams Aranya opens ask for. Implemented by the agent. */
@ConsumerType
public interface HostStreams {
    /**
     * Aranya opened a stream. Start the work without blocking the caller; once it runs call {@link AgentStream#accept()},
     * or end the stream at once with an error ({@link AgentStream#end}) if it cannot run.
     *
     * @param opening the frame whose body is {@code exec}, {@code attach}, {@code logs} or {@code port_forward}
     * @return the listener for the stream's traffic from Aranya
     */
    AgentStreamListener open(Frame opening, AgentStream stream);
}
