package dev.aranya.api.driver;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a driver gets to open one peripheral: the EdgeDevice's {@code spec.peripherals[]} entry as the agent received
 * it from Aranya. Plain values only, so driver bundles need neither the Kubernetes model nor protobuf.
 *
 * @param device     the EdgeDevice's name, for log lines
 * @param name       the peripheral's name (the virtual pod's container name)
 * @param method     {@code connector.method}: the driver's {@link DeviceDriver#METHOD_PROPERTY}
 * @param target     {@code connector.target}, e.g. a device path or {@code host:port}; may be empty
 * @param params     {@code connector.params}
 * @param operations what {@code kubectl exec -c <name> -- <operation> [args]} may run
 * @param metrics    what the agent collects from it into the Node's metrics
 */
public record PeripheralConfig(String device, String name, String method, String target, Map<String, String> params,
                               List<Operation> operations, List<Metric> metrics) {
    public PeripheralConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(method, "method");
        device = device == null ? "" : device;
        target = target == null ? "" : target;
        params = params == null ? Map.of() : Map.copyOf(params);
        operations = operations == null ? List.of() : List.copyOf(operations);
        metrics = metrics == null ? List.of() : List.copyOf(metrics);
    }

    /** The operation of that name, if the spec has one. */
    public Optional<Operation> operation(String operationName) {
        return operations.stream().filter(operation -> operation.name().equals(operationName)).findFirst();
    }

    /**
     * @param name   what users type as the first argument after {@code kubectl exec ... --}
     * @param params the driver's settings of this operation
     */
    public record Operation(String name, Map<String, String> params) {
        public Operation {
            Objects.requireNonNull(name, "name");
            params = params == null ? Map.of() : Map.copyOf(params);
        }
    }

    /**
     * @param name   the Prometheus metric name the samples get
     * @param params the driver's settings of this metric (where and how to read it)
     */
    public record Metric(String name, Map<String, String> params) {
        public Metric {
            Objects.requireNonNull(name, "name");
            params = params == null ? Map.of() : Map.copyOf(params);
        }
    }
}
