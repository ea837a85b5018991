package dev.aranya.observability.internal;

import dev.aranya.api.metrics.MetricsWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Collects samples and renders them in the Prometheus text exposition format 0.0.4: one HELP and TYPE per family,
 * however many sources contribute to it. A sample that breaks the format (bad name, a family re-typed) is dropped
 * and counted, so one faulty source cannot spoil the whole scrape.
 */
final class PrometheusText implements MetricsWriter {
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private final Map<String, Family> families = new LinkedHashMap<>();
    private int rejected;

    private record Family(String type, String help, List<String> samples) {
    }

    @Override
    public void gauge(String name, String help, Map<String, String> labels, double value) {
        add(name, "gauge", help, labels, value);
    }

    @Override
    public void counter(String name, String help, Map<String, String> labels, double value) {
        add(name, "counter", help, labels, value);
    }

    /** Samples dropped because they broke the format. */
    int rejected() {
        return rejected;
    }

    private void add(String name, String type, String help, Map<String, String> labels, double value) {
        if (name == null || !METRIC_NAME.matcher(name).matches()
                || labels.keySet().stream().anyMatch(l -> l == null || !LABEL_NAME.matcher(l).matches())) {
            rejected++;
            return;
        }
        Family family = families.computeIfAbsent(name, n -> new Family(type, help, new ArrayList<>()));
        if (!family.type().equals(type)) {
            rejected++;
            return;
        }
        StringBuilder sample = new StringBuilder(name);
        if (!labels.isEmpty()) {
            sample.append('{');
            boolean first = true;
            for (Map.Entry<String, String> label : new TreeMap<>(labels).entrySet()) {
                if (!first) {
                    sample.append(',');
                }
                first = false;
                sample.append(label.getKey()).append("=\"").append(escapeLabel(String.valueOf(label.getValue())))
                        .append('"');
            }
            sample.append('}');
        }
        sample.append(' ').append(number(value));
        family.samples().add(sample.toString());
    }

    String render() {
        StringBuilder out = new StringBuilder();
        families.forEach((name, family) -> {
            out.append("# HELP ").append(name).append(' ').append(escapeHelp(family.help())).append('\n');
            out.append("# TYPE ").append(name).append(' ').append(family.type()).append('\n');
            family.samples().forEach(sample -> out.append(sample).append('\n'));
        });
        return out.toString();
    }

    private static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }

    private static String escapeLabel(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String escapeHelp(String help) {
        return help == null ? "" : help.replace("\\", "\\\\").replace("\n", "\\n");
    }
}
