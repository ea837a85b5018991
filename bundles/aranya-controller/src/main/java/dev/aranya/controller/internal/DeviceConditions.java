package dev.aranya.controller.internal;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The conditions of an EdgeDevice's status ({@code metav1.Condition}), changed one type at a time. */
final class DeviceConditions {
    static final String VALID = "Valid";
    static final String TRANSPORT_AVAILABLE = "TransportAvailable";
    static final String CONNECTED = "Connected";
    static final String NODE_READY = "NodeReady";
    static final String KUBELET_SERVING = "KubeletServing";
    static final String CERTIFICATE_READY = "CertificateReady";
    /** the order they are listed in */
    static final List<String> TYPES = List.of(VALID, TRANSPORT_AVAILABLE, CONNECTED, NODE_READY, KUBELET_SERVING, CERTIFICATE_READY,
            PeripheralSync.PERIPHERALS_READY);

    private final List<Condition> previous;
    private final List<Condition> conditions;
    private final long generation;
    private final Instant now;

    DeviceConditions(List<Condition> previous, long generation, Instant now) {
        this.previous = previous == null ? List.of() : previous;
        this.conditions = new ArrayList<>(this.previous);
        this.generation = generation;
        this.now = now;
    }

    /**
     * Sets a condition; its transition time changes only if its status does. An empty message is not sent: the
     * kube-apiserver 1.20 here refuses {@code ""} in a custom resource's string field as {@code null}.
     */
    void set(String type, String status, String reason, String message) {
        Condition existing = find(conditions, type);
        String transition = existing != null && status.equals(existing.getStatus()) && existing.getLastTransitionTime() != null
                ? existing.getLastTransitionTime() : now.toString();
        Condition condition = new ConditionBuilder().withType(type).withStatus(status).withReason(reason)
                .withMessage(message == null || message.isEmpty() ? reason : message).withObservedGeneration(generation)
                .withLastTransitionTime(transition).build();
        if (existing == null) {
            conditions.add(condition);
        } else {
            conditions.set(conditions.indexOf(existing), condition);
        }
    }

    /** Whether the device has a condition of this type (from before, or set now). */
    boolean has(String type) {
        return find(conditions, type) != null;
    }

    List<Condition> list() {
        List<Condition> sorted = new ArrayList<>(conditions);
        sorted.sort((a, b) -> Integer.compare(order(a.getType()), order(b.getType())));
        return sorted;
    }

    private static int order(String type) {
        int index = TYPES.indexOf(type);
        return index < 0 ? TYPES.size() : index;
    }

    /** The conditions whose status or reason differ from what the device had. */
    List<Condition> changed() {
        return conditions.stream().filter(condition -> {
            Condition before = find(previous, condition.getType());
            return before == null || !Objects.equals(before.getStatus(), condition.getStatus())
                    || !Objects.equals(before.getReason(), condition.getReason());
        }).toList();
    }

    static Condition find(List<Condition> conditions, String type) {
        return conditions == null ? null
                : conditions.stream().filter(condition -> type.equals(condition.getType())).findFirst().orElse(null);
    }
}
