package dev.aranya.session.internal;

import dev.aranya.protocol.ProtocolLimits;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the session layer (PID {@value #PID}); the defaults are the protocol's. */
@ObjectClassDefinition(id = SessionConfig.PID, name = "Aranya device sessions",
        description = "Timers and limits Aranya announces to every agent in the HelloAck")
public @interface SessionConfig {
    String PID = "dev.aranya.session";

    @AttributeDefinition(name = "Heartbeat interval (seconds)", min = "1",
            description = "Both sides send a Ping this often")
    int heartbeatIntervalSeconds() default 10;

    @AttributeDefinition(name = "Heartbeat miss limit", min = "1",
            description = "A peer silent for this many heartbeat intervals is dead; also bounds the wait for the Hello")
    int heartbeatMissLimit() default ProtocolLimits.DEFAULT_HEARTBEAT_MISS_LIMIT;

    @AttributeDefinition(name = "Status interval (seconds)", min = "1",
            description = "How often agents report their NodeStatus")
    int statusIntervalSeconds() default 30;

    @AttributeDefinition(name = "Stream window (bytes)", min = "1",
            description = "Data bytes an agent may send on a stream before Aranya returns credit; with the stream "
                    + "limit, bounds the memory a device can pin")
    int streamWindow() default ProtocolLimits.DEFAULT_INITIAL_STREAM_WINDOW;

    @AttributeDefinition(name = "Max frame size (bytes)", min = "16384", max = "16777216",
            description = "Largest frame Aranya accepts; a transport with a smaller limit lowers it")
    int maxFrameSize() default ProtocolLimits.DEFAULT_MAX_FRAME_SIZE;

    @AttributeDefinition(name = "Max streams per device", min = "1",
            description = "Concurrent streams (exec, logs, ...) Aranya opens on one device; the agent may allow fewer")
    int maxStreams() default ProtocolLimits.DEFAULT_MAX_CONCURRENT_STREAMS;

    @AttributeDefinition(name = "Stream open timeout (seconds)", min = "1",
            description = "How long a kubectl request waits for the agent to start the work")
    int streamOpenTimeoutSeconds() default 30;

    @AttributeDefinition(name = "Cancel grace period (seconds)", min = "1",
            description = "How long a cancelled stream waits for the agent to end it")
    int cancelGraceSeconds() default 10;
}
