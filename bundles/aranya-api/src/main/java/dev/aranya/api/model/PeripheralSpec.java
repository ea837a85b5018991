package dev.aranya.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import java.util.List;
import java.util.Map;

/**
 * A peripheral attached to the device, driven by a driver bundle in the agent. It shows as a container of the
 * virtual pod: {@code kubectl exec <pod> -c <name> -- <pseudoCommand>} runs one of its operations.
 *
 * @param name       DNS-1123 label, unique in the device, not {@code host}
 * @param connector  how the agent reaches the peripheral
 * @param operations what can be done with it
 * @param metrics    what is measured on it
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record PeripheralSpec(String name, Connector connector, List<Operation> operations, List<Metric> metrics) {
    public PeripheralSpec {
        operations = operations == null ? List.of() : List.copyOf(operations);
        metrics = metrics == null ? List.of() : List.copyOf(metrics);
    }

    /**
     * @param method the driver, e.g. {@code process}, {@code modbus-tcp}, {@code serial}
     * @param target e.g. a device path or {@code host:port}
     * @param params driver-specific settings
     * @param tls    TLS towards the peripheral, if it speaks TLS
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Connector(String method, String target, Map<String, String> params, Tls tls) {
        public Connector {
            params = params == null ? Map.of() : Map.copyOf(params);
        }
    }

    /**
     * @param serverName         name expected in the peripheral's certificate
     * @param certSecretRef      Secret with {@code ca.crt} and optional {@code tls.crt}/{@code tls.key}
     * @param insecureSkipVerify do not verify the peripheral's certificate
     * @param minVersion         {@code TLS12} (default) or {@code TLS13}
     * @param maxVersion         {@code TLS12} or {@code TLS13} (default)
     * @param cipherSuites       IANA names of the allowed cipher suites
     * @param nextProtos         ALPN protocols to offer
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Tls(String serverName, LocalObjectReference certSecretRef, Boolean insecureSkipVerify,
                      String minVersion, String maxVersion, List<String> cipherSuites, List<String> nextProtos) {
        public Tls {
            cipherSuites = cipherSuites == null ? List.of() : List.copyOf(cipherSuites);
            nextProtos = nextProtos == null ? List.of() : List.copyOf(nextProtos);
        }
    }

    /**
     * @param name          the operation's id, unique in the peripheral
     * @param pseudoCommand the command users type after {@code kubectl exec ... --}
     * @param params        driver-specific settings of the operation
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Operation(String name, String pseudoCommand, Map<String, String> params) {
        public Operation {
            params = params == null ? Map.of() : Map.copyOf(params);
        }
    }

    /**
     * @param name      metric name ({@code [a-z0-9]([_a-z0-9]*[a-z0-9])?}), unique in the peripheral
     * @param valueType {@code gauge}, {@code counter} or {@code unknown}
     * @param params    driver-specific settings of the metric
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Metric(String name, String valueType, Map<String, String> params) {
        public Metric {
            params = params == null ? Map.of() : Map.copyOf(params);
        }
    }
}
