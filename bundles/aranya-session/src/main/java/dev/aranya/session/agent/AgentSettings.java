package dev.aranya.session.agent;

import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.ProtocolLimits;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * What the agent announces in its Hello, and how long it waits for the answer.
 *
 * @param device       the EdgeDevice this agent serves
 * @param agentVersion the agent's build version, for diagnostics
 * @param capabilities the stream kinds and features it serves ({@code dev.aranya.protocol.Capabilities}); Aranya
 *                     opens nothing else, and anything else it opens is refused with {@code UNSUPPORTED}
 * @param maxFrameSize the largest frame the agent accepts (capped by the link's own limit)
 * @param streamWindow the initial window of every stream's Aranya-to-agent Data
 * @param maxStreams   concurrent streams the agent runs
 * @param helloTimeout how long to wait for the HelloAck
 */
public record AgentSettings(DeviceId device, String agentVersion, Set<String> capabilities, int maxFrameSize,
                            int streamWindow, int maxStreams, Duration helloTimeout) {
    public AgentSettings {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(agentVersion, "agentVersion");
        capabilities = Set.copyOf(capabilities);
        if (maxFrameSize < ProtocolLimits.MIN_FRAME_SIZE_LIMIT || maxFrameSize > ProtocolLimits.MAX_FRAME_SIZE_LIMIT) {
            throw new IllegalArgumentException("max frame size must be within " + ProtocolLimits.MIN_FRAME_SIZE_LIMIT
                    + ".." + ProtocolLimits.MAX_FRAME_SIZE_LIMIT + ", was " + maxFrameSize);
        }
        if (streamWindow < 1 || maxStreams < 1) {
            throw new IllegalArgumentException("stream window and max streams must be at least 1");
        }
        if (helloTimeout.isNegative() || helloTimeout.isZero()) {
            throw new IllegalArgumentException("hello timeout must be positive, was " + helloTimeout);
        }
    }

    /** The protocol's default limits and a 30 s hello timeout. */
    public static AgentSettings defaults(DeviceId device, String agentVersion, Set<String> capabilities) {
        return new AgentSettings(device, agentVersion, capabilities, ProtocolLimits.DEFAULT_MAX_FRAME_SIZE,
                ProtocolLimits.DEFAULT_INITIAL_STREAM_WINDOW, ProtocolLimits.DEFAULT_MAX_CONCURRENT_STREAMS,
                Duration.ofSeconds(30));
    }
}
