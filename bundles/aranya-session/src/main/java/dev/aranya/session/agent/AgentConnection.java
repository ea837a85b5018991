package dev.aranya.session.agent;

import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.PeripheralsStatus;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/** A connection to Aranya that completed the hello. */
@ProviderType
public interface AgentConnection {
    /** The random id of this connection (on every frame), for logs. */
    long connectionId();

    /** Completes once when the connection ends, for whatever reason; never exceptionally. */
    CompletionStage<Disconnect> disconnected();

    /** Sends the node info again, because a value in it changed. */
    void updateNodeInfo(NodeInfo nodeInfo);

    /** Reports the state of the peripherals Aranya sent (after each set it sends, and when a state changes). */
    void updatePeripheralsStatus(PeripheralsStatus status);

    /** Ends the connection with a Goodbye (the agent is stopping). Idempotent. */
    void close(String reason);
}
