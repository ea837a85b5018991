package dev.aranya.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.LocalObjectReference;

/**
 * Settings of the {@code mqtt} method: Aranya and the agent are both clients of a broker. Aranya publishes to
 * {@code <topicNamespace>/cmd}, the agent to {@code <topicNamespace>/msg}, and {@code <topicNamespace>/status}
 * holds the agent's retained online message and its Last Will.
 *
 * @param broker            {@code host:port} of the broker
 * @param topicNamespace    prefix of the device's topics
 * @param clientID          Aranya's MQTT client id for this device; unique on the broker
 * @param version           {@code 3.1.1} (default) or {@code 5}
 * @param transport         {@code tcp} (default) or {@code websocket}
 * @param keepaliveInterval MQTT keepalive, a Go-style duration (default 60s)
 * @param maxPayloadSize    largest payload the broker takes, in bytes; larger frames are chunked (at least 32)
 * @param tlsSecretRef      Secret with the TLS material to reach the broker ({@code ca.crt}, optional
 *                          {@code tls.crt}/{@code tls.key}); none means plain TCP
 * @param userPassRef       Secret of type {@code kubernetes.io/basic-auth} with {@code username} and
 *                          {@code password}
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record MqttSpec(String broker, String topicNamespace, @JsonProperty("clientID") String clientID,
                       String version, String transport, String keepaliveInterval, Integer maxPayloadSize,
                       LocalObjectReference tlsSecretRef, LocalObjectReference userPassRef) {
}
