package dev.aranya.protocol;

/** Which way a frame travels; {@link Frames#validate(dev.aranya.protocol.v1.Frame, Direction)} checks by it. */
public enum Direction {
    /** Sent by the agent (arhat), received by Aranya. */
    AGENT_TO_ARANYA,
    /** Sent by Aranya, received by the agent. */
    ARANYA_TO_AGENT
}
