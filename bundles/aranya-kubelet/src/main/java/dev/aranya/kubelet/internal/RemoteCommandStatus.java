package dev.aranya.kubelet.internal;

import dev.aranya.protocol.v1.StreamEnd;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the error stream (SPDY) or channel 3 (WebSocket) carries when an exec or attach ends. From
 * {@code v4.channel.k8s.io} on it is a {@code metav1.Status}: Success, or Failure with reason
 * {@code NonZeroExitCode} and an {@code ExitCode} cause (kubectl exits with that code), or Failure with the device's
 * message. Older protocols carry only an error's text, and nothing on success.
 */
final class RemoteCommandStatus {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private RemoteCommandStatus() {
    }

    static Optional<byte[]> errorStreamBody(boolean statusJson, StreamEnd end, String command) {
        Optional<String> failure = failure(end, command);
        if (!statusJson) {
            return failure.map(message -> message.getBytes(StandardCharsets.UTF_8));
        }
        ObjectNode status = JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1");
        status.putObject("metadata");
        if (failure.isEmpty()) {
            status.put("status", "Success");
        } else {
            status.put("status", "Failure").put("message", failure.get());
            if (!end.hasError() && end.hasExitCode()) {
                status.put("reason", "NonZeroExitCode");
                status.putObject("details").putArray("causes").addObject()
                        .put("reason", "ExitCode").put("message", Integer.toString(end.getExitCode()));
            } else {
                status.put("reason", "InternalError");
            }
        }
        return Optional.of(JSON.writeValueAsBytes(status));
    }

    private static Optional<String> failure(StreamEnd end, String command) {
        if (end.hasError()) {
            String message = end.getError().getMessage();
            return Optional.of(message.isEmpty() ? end.getError().getCode().name() : message);
        }
        if (end.hasExitCode() && end.getExitCode() != 0) {
            return Optional.of("command terminated with non-zero exit code: error executing command " + command
                    + ", exit code " + end.getExitCode());
        }
        return Optional.empty();
    }
}
