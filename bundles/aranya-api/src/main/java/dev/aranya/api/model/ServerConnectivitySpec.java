package dev.aranya.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.LocalObjectReference;

/**
 * Settings of a method where the agent connects to a server that Aranya runs ({@code grpc}, {@code tcp}).
 *
 * @param tlsSecretRef a Secret of the EdgeDevice's namespace holding the server certificate to present to this
 *                     device instead of Aranya's default one ({@code tls.crt}, {@code tls.key}, optional
 *                     {@code ca.crt} to verify the device)
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ServerConnectivitySpec(LocalObjectReference tlsSecretRef) {
}
