package dev.aranya.kubelet.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A kubelet API path: which endpoint, and for the pod endpoints the namespace, pod and container. The optional pod
 * UID segment of {@code /exec/{ns}/{pod}/{uid}/{container}} and {@code /portForward/{ns}/{pod}/{uid}} is accepted
 * and ignored, as the virtual pod is known by name.
 */
record KubeletPath(Endpoint endpoint, String namespace, String pod, String container) {

    enum Endpoint {
        HEALTHZ, PODS, RUNNING_PODS, STATS_SUMMARY, METRICS, METRICS_RESOURCE, CONTAINER_LOGS, EXEC, ATTACH,
        PORT_FORWARD
    }

    static Optional<KubeletPath> parse(String path) {
        List<String> segments = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
        if (segments.isEmpty()) {
            return Optional.empty();
        }
        int count = segments.size();
        return switch (segments.get(0)) {
            case "healthz" -> count == 1 ? simple(Endpoint.HEALTHZ) : Optional.empty();
            case "pods" -> count == 1 ? simple(Endpoint.PODS) : Optional.empty();
            case "runningpods" -> count == 1 ? simple(Endpoint.RUNNING_PODS) : Optional.empty();
            case "stats" -> count == 2 && segments.get(1).equals("summary") ? simple(Endpoint.STATS_SUMMARY)
                    : Optional.empty();
            case "metrics" -> count == 1 ? simple(Endpoint.METRICS)
                    : count == 2 && segments.get(1).equals("resource") ? simple(Endpoint.METRICS_RESOURCE)
                    : Optional.empty();
            case "containerLogs" -> count == 4 ? pod(Endpoint.CONTAINER_LOGS, segments, 3) : Optional.empty();
            case "exec", "attach" -> count == 4 || count == 5
                    ? pod(segments.get(0).equals("exec") ? Endpoint.EXEC : Endpoint.ATTACH, segments, count - 1)
                    : Optional.empty();
            case "portForward" -> count == 3 || count == 4
                    ? Optional.of(new KubeletPath(Endpoint.PORT_FORWARD, segments.get(1), segments.get(2), ""))
                    : Optional.empty();
            default -> Optional.empty();
        };
    }

    private static Optional<KubeletPath> simple(Endpoint endpoint) {
        return Optional.of(new KubeletPath(endpoint, "", "", ""));
    }

    private static Optional<KubeletPath> pod(Endpoint endpoint, List<String> segments, int containerIndex) {
        return Optional.of(new KubeletPath(endpoint, segments.get(1), segments.get(2), segments.get(containerIndex)));
    }

    boolean namesPod() {
        return !pod.isEmpty();
    }
}
