package dev.aranya.kubelet.internal;

import dev.aranya.api.session.DeviceSession;
import dev.aranya.protocol.v1.MetricSample;
import dev.aranya.protocol.v1.MetricType;
import dev.aranya.protocol.v1.NodeStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /pods}, {@code /runningpods}, {@code /stats/summary}, {@code /metrics/resource} and {@code /metrics},
 * answered from what the device's agent reported (its node info and latest status). The only pod is the virtual
 * pod; while the device is offline the node figures are absent and the metrics say {@code scrape_error 1}.
 */
final class NodeStatusResponses {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    record Body(String contentType, String text) {
    }

    Body render(KubeletPath.Endpoint kind, NodeEndpoint endpoint) {
        Optional<DeviceSession> session = endpoint.session();
        Optional<NodeStatus> status = session.flatMap(DeviceSession::lastStatus);
        return switch (kind) {
            case PODS, RUNNING_PODS -> new Body(HttpResponses.JSON, podList(endpoint));
            case STATS_SUMMARY -> new Body(HttpResponses.JSON, summary(endpoint, session, status));
            case METRICS_RESOURCE -> new Body(PROMETHEUS_TEXT, resourceMetrics(status));
            case METRICS -> new Body(PROMETHEUS_TEXT, metrics(status));
            default -> throw new IllegalArgumentException("not a status endpoint: " + kind);
        };
    }

    private static String podList(NodeEndpoint endpoint) {
        ObjectNode list = JSON.createObjectNode().put("kind", "PodList").put("apiVersion", "v1");
        list.putObject("metadata");
        ObjectNode pod = list.putArray("items").addObject();
        pod.putObject("metadata").put("name", endpoint.node().podName())
                .put("namespace", endpoint.node().device().namespace());
        pod.putObject("spec").put("nodeName", endpoint.nodeName());
        pod.putObject("status").put("phase", endpoint.session().isPresent() ? "Running" : "Unknown");
        return JSON.writeValueAsString(list);
    }

    private static String summary(NodeEndpoint endpoint, Optional<DeviceSession> session,
            Optional<NodeStatus> reported) {
        ObjectNode summary = JSON.createObjectNode();
        ObjectNode node = summary.putObject("node").put("nodeName", endpoint.nodeName());
        session.ifPresent(s -> node.put("startTime", s.connectedAt().toString()));
        reported.ifPresent(status -> {
            String time = time(status).toString();
            ObjectNode cpu = node.putObject("cpu").put("time", time);
            if (status.hasCpuUsageNanoCores()) {
                cpu.put("usageNanoCores", status.getCpuUsageNanoCores());
            }
            if (status.hasCpuUsageCoreNanoseconds()) {
                cpu.put("usageCoreNanoSeconds", status.getCpuUsageCoreNanoseconds());
            }
            ObjectNode memory = node.putObject("memory").put("time", time);
            if (status.hasMemoryAvailableBytes()) {
                memory.put("availableBytes", status.getMemoryAvailableBytes());
            }
            if (status.hasMemoryUsageBytes()) {
                memory.put("usageBytes", status.getMemoryUsageBytes())
                        .put("workingSetBytes", status.getMemoryUsageBytes());
            }
            ObjectNode network = node.putObject("network").put("time", time);
            if (status.hasNetworkRxBytes()) {
                network.put("rxBytes", status.getNetworkRxBytes());
            }
            if (status.hasNetworkTxBytes()) {
                network.put("txBytes", status.getNetworkTxBytes());
            }
            ObjectNode fs = node.putObject("fs").put("time", time);
            if (status.hasFilesystemAvailableBytes()) {
                fs.put("availableBytes", status.getFilesystemAvailableBytes());
            }
            if (status.hasFilesystemUsedBytes()) {
                fs.put("usedBytes", status.getFilesystemUsedBytes());
            }
            session.ifPresent(s -> {
                if (s.nodeInfo().getDiskBytes() > 0) {
                    fs.put("capacityBytes", s.nodeInfo().getDiskBytes());
                }
            });
        });
        summary.putArray("pods");
        return JSON.writeValueAsString(summary);
    }

    private static String resourceMetrics(Optional<NodeStatus> reported) {
        StringBuilder text = new StringBuilder();
        reported.ifPresent(status -> {
            long millis = time(status).toEpochMilli();
            if (status.hasCpuUsageCoreNanoseconds()) {
                sample(text, "node_cpu_usage_seconds_total", "counter",
                        "Cumulative cpu time consumed by the node in core-seconds",
                        status.getCpuUsageCoreNanoseconds() / 1e9, millis);
            }
            if (status.hasMemoryUsageBytes()) {
                sample(text, "node_memory_working_set_bytes", "gauge",
                        "Current working set of the node in bytes", status.getMemoryUsageBytes(), millis);
            }
        });
        sample(text, "scrape_error", "gauge", "1 if there was an error while getting container metrics, 0 otherwise",
                reported.isPresent() ? 0 : 1, -1);
        return text.toString();
    }

    static String metrics(Optional<NodeStatus> reported) {
        StringBuilder text = new StringBuilder(resourceMetrics(reported));
        // the exposition format wants one TYPE line per metric and its samples together, whatever the order reported
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, StringBuilder> samples = new LinkedHashMap<>();
        reported.ifPresent(status -> {
            for (MetricSample metric : status.getMetricsList()) {
                String name = metric.getName().replaceAll("[^a-zA-Z0-9_:]", "_");
                if (name.isEmpty()) {
                    continue;
                }
                String type = metric.getType() == MetricType.METRIC_TYPE_COUNTER ? "counter"
                        : metric.getType() == MetricType.METRIC_TYPE_GAUGE ? "gauge" : "untyped";
                types.putIfAbsent(name, type);
                StringBuilder sample = samples.computeIfAbsent(name, n -> new StringBuilder()).append(name);
                if (metric.getLabelsCount() > 0) {
                    sample.append('{');
                    boolean first = true;
                    for (Map.Entry<String, String> label : metric.getLabelsMap().entrySet()) {
                        sample.append(first ? "" : ",").append(label.getKey().replaceAll("[^a-zA-Z0-9_]", "_"))
                                .append("=\"").append(label.getValue().replace("\\", "\\\\").replace("\"", "\\\"")
                                        .replace("\n", "\\n")).append('"');
                        first = false;
                    }
                    sample.append('}');
                }
                sample.append(' ').append(value(metric.getValue())).append('\n');
            }
        });
        types.forEach((name, type) -> text.append("# TYPE ").append(name).append(' ').append(type).append('\n')
                .append(samples.get(name)));
        return text.toString();
    }

    private static void sample(StringBuilder text, String name, String type, String help, double value,
            long millis) {
        text.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(' ').append(type).append('\n')
                .append(name).append(' ').append(value(value));
        if (millis >= 0) {
            text.append(' ').append(millis);
        }
        text.append('\n');
    }

    private static String value(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%s", value);
    }

    private static Instant time(NodeStatus status) {
        return status.hasTimestamp()
                ? Instant.ofEpochSecond(status.getTimestamp().getSeconds(), status.getTimestamp().getNanos())
                : Instant.now();
    }
}
