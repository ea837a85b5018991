package dev.aranya.protocol;

import dev.aranya.protocol.v1.Frame.BodyCase;
import java.util.Optional;

/**
 * Capability names announced in Hello and HelloAck (docs/protocol.md, "Capabilities"). Aranya opens a stream
 * kind only if the agent announced its capability; names are compared exactly and unknown names are ignored.
 */
public final class Capabilities {

    /** The agent runs Exec streams. */
    public static final String EXEC = "exec";
    /** The agent serves Attach streams. */
    public static final String ATTACH = "attach";
    /** The agent serves Logs streams. */
    public static final String LOGS = "logs";
    /** The agent serves PortForward streams (TCP). */
    public static final String PORT_FORWARD = "port-forward";
    /** The agent can give Exec and Attach a terminal (tty, Resize). */
    public static final String TTY = "tty";
    /**
     * The agent takes the device's peripherals ({@code Peripherals}), runs their operations on Exec streams whose
     * container names a peripheral, and reports their state ({@code PeripheralsStatus}).
     */
    public static final String PERIPHERALS = "peripherals";

    private Capabilities() {
    }

    /** The capability the agent must have announced before Aranya may send this opening body. */
    public static Optional<String> requiredToOpen(BodyCase body) {
        return Optional.ofNullable(switch (body) {
            case EXEC -> EXEC;
            case ATTACH -> ATTACH;
            case LOGS -> LOGS;
            case PORT_FORWARD -> PORT_FORWARD;
            default -> null;
        });
    }
}
