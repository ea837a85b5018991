package dev.aranya.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * How Aranya and the device's agent talk. The agent always dials out, so the device opens no port.
 *
 * @param method  {@code grpc}, {@code mqtt} or {@code tcp}: the transport bundle that serves this device
 * @param timers  time limits of the connection
 * @param backoff how the agent retries a lost connection (sent to the agent on connect)
 * @param mqtt    settings of the {@code mqtt} method; required with it
 * @param grpc    settings of the {@code grpc} method
 * @param tcp     settings of the {@code tcp} method
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ConnectivitySpec(String method, ConnectivityTimers timers, BackoffSpec backoff, MqttSpec mqtt,
                               ServerConnectivitySpec grpc, ServerConnectivitySpec tcp) {

    /**
     * @param unarySessionTimeout how long Aranya waits for the answer to a single command, as a Go-style
     *                            duration ({@code 30s}, {@code 1m30s})
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record ConnectivityTimers(String unarySessionTimeout) {
    }

    /**
     * @param initialDelay first delay before a reconnect, a Go-style duration
     * @param maxDelay     the longest delay between reconnects
     * @param factor       growth of the delay after each failure, above 1
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record BackoffSpec(String initialDelay, String maxDelay, Double factor) {
    }
}
