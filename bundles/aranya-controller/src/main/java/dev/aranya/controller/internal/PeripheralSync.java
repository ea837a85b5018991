package dev.aranya.controller.internal;

import dev.aranya.api.model.PeripheralSpec;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.v1.MetricType;
import dev.aranya.protocol.v1.Peripheral;
import dev.aranya.protocol.v1.PeripheralConnector;
import dev.aranya.protocol.v1.PeripheralMetric;
import dev.aranya.protocol.v1.PeripheralOperation;
import dev.aranya.protocol.v1.PeripheralState;
import dev.aranya.protocol.v1.PeripheralTls;
import dev.aranya.protocol.v1.Peripherals;
import dev.aranya.protocol.v1.PeripheralsStatus;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The EdgeDevice's {@code spec.peripherals} as the agent gets them ({@link Peripherals}), and the
 * {@code PeripheralsReady} condition from what the agent reports back.
 */
final class PeripheralSync {
    static final String PERIPHERALS_READY = "PeripheralsReady";

    private PeripheralSync() {
    }

    /** The protocol message of the spec's peripherals. */
    static Peripherals message(List<PeripheralSpec> peripherals) {
        Peripherals.Builder message = Peripherals.newBuilder();
        for (PeripheralSpec spec : peripherals) {
            Peripheral.Builder peripheral = message.addPeripheralsBuilder().setName(spec.name());
            if (spec.connector() != null) {
                PeripheralConnector.Builder connector = peripheral.getConnectorBuilder()
                        .setMethod(Objects.requireNonNullElse(spec.connector().method(), ""))
                        .setTarget(Objects.requireNonNullElse(spec.connector().target(), ""))
                        .putAllParams(spec.connector().params());
                PeripheralSpec.Tls tls = spec.connector().tls();
                if (tls != null) {
                    connector.setTls(PeripheralTls.newBuilder()
                            .setServerName(Objects.requireNonNullElse(tls.serverName(), ""))
                            .setInsecureSkipVerify(Boolean.TRUE.equals(tls.insecureSkipVerify()))
                            .setMinVersion(Objects.requireNonNullElse(tls.minVersion(), ""))
                            .setMaxVersion(Objects.requireNonNullElse(tls.maxVersion(), ""))
                            .addAllCipherSuites(tls.cipherSuites())
                            .addAllNextProtos(tls.nextProtos()));
                }
            }
            for (PeripheralSpec.Operation operation : spec.operations()) {
                peripheral.addOperations(PeripheralOperation.newBuilder().setName(operation.name())
                        .setPseudoCommand(Objects.requireNonNullElse(operation.pseudoCommand(), ""))
                        .putAllParams(operation.params()));
            }
            for (PeripheralSpec.Metric metric : spec.metrics()) {
                peripheral.addMetrics(PeripheralMetric.newBuilder().setName(metric.name())
                        .setValueType(valueType(metric.valueType())).putAllParams(metric.params()));
            }
        }
        return message.build();
    }

    private static MetricType valueType(String valueType) {
        return switch (valueType == null ? "" : valueType) {
            case "gauge" -> MetricType.METRIC_TYPE_GAUGE;
            case "counter" -> MetricType.METRIC_TYPE_COUNTER;
            default -> MetricType.METRIC_TYPE_UNSPECIFIED;
        };
    }

    /**
     * Sends the peripherals to the connected agent (the session sends only a changed set) and sets
     * {@code PeripheralsReady}: True when the agent reports every peripheral open, False naming each one that is not
     * (its driver missing, or the driver failed to open it), Unknown while the agent is offline or has not answered.
     */
    static void sync(List<PeripheralSpec> peripherals, DeviceSession session, DeviceConditions conditions) {
        if (peripherals.isEmpty()) {
            if (conditions.has(PERIPHERALS_READY)) {
                conditions.set(PERIPHERALS_READY, "True", "NoPeripherals", "the device has no peripherals");
            }
            return;
        }
        if (session == null) {
            conditions.set(PERIPHERALS_READY, "Unknown", "AgentDisconnected", "the device's agent is not connected");
            return;
        }
        if (!session.capabilities().contains(Capabilities.PERIPHERALS)) {
            conditions.set(PERIPHERALS_READY, "False", "PeripheralsUnsupported", "the device's agent (version "
                    + session.agentVersion() + ") does not drive peripherals");
            return;
        }
        session.updatePeripherals(message(peripherals));
        Set<String> names = peripherals.stream().map(PeripheralSpec::name).collect(Collectors.toSet());
        Optional<PeripheralsStatus> reported = session.peripheralsStatus();
        if (reported.isEmpty() || !names.equals(reported.get().getPeripheralsList().stream()
                .map(PeripheralState::getName).collect(Collectors.toSet()))) {
            conditions.set(PERIPHERALS_READY, "Unknown", "Pending", "waiting for the agent to report its peripherals");
            return;
        }
        List<PeripheralState> notReady = reported.get().getPeripheralsList().stream()
                .filter(state -> state.getPhase() != PeripheralState.Phase.PHASE_READY).toList();
        if (notReady.isEmpty()) {
            conditions.set(PERIPHERALS_READY, "True", "AllReady", names.size() + " peripherals ready");
            return;
        }
        boolean driverMissing = notReady.stream().anyMatch(state -> state.getPhase() == PeripheralState.Phase.PHASE_DRIVER_MISSING);
        conditions.set(PERIPHERALS_READY, "False", driverMissing ? "DriverMissing" : "PeripheralFailed",
                notReady.stream().map(state -> state.getName() + ": " + state.getMessage()).collect(Collectors.joining("; ")));
    }
}
