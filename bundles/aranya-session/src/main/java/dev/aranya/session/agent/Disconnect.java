package dev.aranya.session.agent;

import dev.aranya.protocol.v1.GoodbyeReason;
import java.time.Duration;

/**
 * Why a connection to Aranya ended.
 *
 * @param reason         for the agent's log
 * @param goodbye        Aranya's Goodbye reason, or {@code GOODBYE_REASON_UNSPECIFIED} if it sent none (a lost
 *                       link, a missed heartbeat, or the agent's own close)
 * @param reconnectDelay the least time Aranya asked the agent to wait before connecting again ({@code ZERO}: its
 *                       normal backoff)
 */
public record Disconnect(String reason, GoodbyeReason goodbye, Duration reconnectDelay) {
}
