package dev.aranya.session.internal;

import dev.aranya.protocol.ProtocolLimits;
import java.time.Duration;

/**
 * Aranya's side of the protocol's timers and limits, announced to every agent in the HelloAck.
 *
 * @param heartbeatInterval  how often each side pings
 * @param heartbeatMissLimit intervals without any frame after which the peer is dead (also the hello timeout)
 * @param statusInterval     how often the agent sends its NodeStatus
 * @param streamWindow       the initial window of every stream's agent-to-Aranya Data
 * @param maxFrameSize       the largest frame Aranya accepts (capped by each transport's own limit)
 * @param maxStreams         concurrent streams Aranya opens on one connection (capped by the agent's limit)
 * @param streamOpenTimeout  how long an opening may wait for the agent's StreamAccepted
 * @param cancelGrace        how long a cancelled stream waits for the agent's StreamEnd
 * @param aranyaVersion      sent to agents for diagnostics
 */
public record SessionSettings(Duration heartbeatInterval, int heartbeatMissLimit, Duration statusInterval,
                              int streamWindow, int maxFrameSize, int maxStreams, Duration streamOpenTimeout,
                              Duration cancelGrace, String aranyaVersion) {
    public SessionSettings {
        positive(heartbeatInterval, "heartbeat interval");
        positive(statusInterval, "status interval");
        positive(streamOpenTimeout, "stream open timeout");
        positive(cancelGrace, "cancel grace period");
        if (heartbeatMissLimit < 1) {
            throw new IllegalArgumentException("heartbeat miss limit must be at least 1, was " + heartbeatMissLimit);
        }
        if (streamWindow < 1) {
            throw new IllegalArgumentException("stream window must be at least 1 byte, was " + streamWindow);
        }
        if (maxFrameSize < ProtocolLimits.MIN_FRAME_SIZE_LIMIT || maxFrameSize > ProtocolLimits.MAX_FRAME_SIZE_LIMIT) {
            throw new IllegalArgumentException("max frame size must be within " + ProtocolLimits.MIN_FRAME_SIZE_LIMIT
                    + ".." + ProtocolLimits.MAX_FRAME_SIZE_LIMIT + ", was " + maxFrameSize);
        }
        if (maxStreams < 1) {
            throw new IllegalArgumentException("max streams must be at least 1, was " + maxStreams);
        }
    }

    /** The protocol's defaults (docs/protocol.md, "Limits"). */
    public static SessionSettings defaults(String aranyaVersion) {
        return new SessionSettings(ProtocolLimits.DEFAULT_HEARTBEAT_INTERVAL, ProtocolLimits.DEFAULT_HEARTBEAT_MISS_LIMIT,
                ProtocolLimits.DEFAULT_STATUS_INTERVAL, ProtocolLimits.DEFAULT_INITIAL_STREAM_WINDOW,
                ProtocolLimits.DEFAULT_MAX_FRAME_SIZE, ProtocolLimits.DEFAULT_MAX_CONCURRENT_STREAMS,
                Duration.ofSeconds(30), Duration.ofSeconds(10), aranyaVersion);
    }

    private static void positive(Duration value, String what) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + value);
        }
    }
}
