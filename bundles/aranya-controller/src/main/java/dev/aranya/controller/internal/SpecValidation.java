package dev.aranya.controller.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.model.ConnectivitySpec;
import dev.aranya.api.model.EdgeDeviceSpec;
import dev.aranya.api.model.MqttSpec;
import dev.aranya.api.model.NodeSpec;
import dev.aranya.api.model.PeripheralSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the CRD schema cannot check of an EdgeDevice spec (or what an older CRD let through). A device with problems
 * gets {@code Valid=False} with them as the message, and is not served; the other devices are not affected.
 */
final class SpecValidation {
    private static final Set<String> RESERVED_LABELS = Set.of(Names.LABEL_HOSTNAME, Names.LABEL_OS, Names.LABEL_ARCH,
            Names.LABEL_BETA_OS, Names.LABEL_BETA_ARCH);
    static final Set<String> METHODS = Set.of(Aranya.METHOD_GRPC, Aranya.METHOD_MQTT, Aranya.METHOD_TCP);

    // a Kubernetes qualified name with an optional DNS subdomain prefix, and a label value
    private static final Pattern NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]");
    private static final Pattern PREFIX = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?");

    private SpecValidation() {
    }

    /** @return the problems, each naming the field; empty if the spec is usable */
    static List<String> problems(EdgeDeviceSpec spec) {
        List<String> problems = new ArrayList<>();
        if (spec == null || spec.connectivity() == null) {
            problems.add("spec.connectivity is required");
            return problems;
        }
        ConnectivitySpec connectivity = spec.connectivity();
        String method = connectivity.method();
        if (method == null || method.isBlank()) {
            problems.add("spec.connectivity.method is required (one of " + String.join(", ", sorted(METHODS)) + ")");
        } else if (!METHODS.contains(method)) {
            problems.add("spec.connectivity.method '" + method + "' is unknown (one of " + String.join(", ", sorted(METHODS)) + ")");
        } else if (Aranya.METHOD_MQTT.equals(method)) {
            MqttSpec mqtt = connectivity.mqtt();
            if (mqtt == null) {
                problems.add("spec.connectivity.mqtt is required with method mqtt");
            } else {
                if (blank(mqtt.broker())) {
                    problems.add("spec.connectivity.mqtt.broker is required with method mqtt");
                }
                if (blank(mqtt.topicNamespace())) {
                    problems.add("spec.connectivity.mqtt.topicNamespace is required with method mqtt");
                }
            }
        }
        NodeSpec node = spec.node();
        if (node != null) {
            node.labels().forEach((key, value) -> {
                if (!qualifiedName(key)) {
                    problems.add("spec.node.labels: '" + key + "' is not a valid label key");
                } else if (value == null || !LABEL_VALUE.matcher(value).matches()) {
                    problems.add("spec.node.labels['" + key + "']: '" + value + "' is not a valid label value");
                }
            });
            for (String key : node.annotations().keySet()) {
                if (!qualifiedName(key)) {
                    problems.add("spec.node.annotations: '" + key + "' is not a valid annotation key");
                }
            }
            node.taints().forEach(taint -> {
                if (taint.getKey() == null || !qualifiedName(taint.getKey())) {
                    problems.add("spec.node.taints: '" + taint.getKey() + "' is not a valid taint key");
                }
            });
        }
        Set<String> names = new HashSet<>();
        for (PeripheralSpec peripheral : spec.peripherals()) {
            if ("host".equals(peripheral.name())) {
                problems.add("spec.peripherals: 'host' names the device host itself, not a peripheral");
            } else if (!names.add(peripheral.name())) {
                problems.add("spec.peripherals: the name '" + peripheral.name() + "' is used twice");
            }
        }
        return problems;
    }

    static boolean qualifiedName(String key) {
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            if (prefix.isEmpty() || prefix.length() > 253 || !PREFIX.matcher(prefix).matches()) {
                return false;
            }
        }
        return name.length() <= 63 && NAME.matcher(name).matches();
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    private static List<String> sorted(Set<String> values) {
        return values.stream().sorted().toList();
    }

    /** Labels the spec may not set: Aranya's own win. */
    static boolean reservedLabel(String key) {
        return key.startsWith("arhat.dev/") || RESERVED_LABELS.contains(key);
    }
}
