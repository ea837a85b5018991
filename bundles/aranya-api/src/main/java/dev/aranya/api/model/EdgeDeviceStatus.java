package dev.aranya.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * What Aranya observed of a device.
 *
 * @param conditions         {@code Ready}, {@code Connected}, {@code CertificateReady}, ... ({@code metav1.Condition})
 * @param observedGeneration the spec generation this status was computed from
 * @param hostNode           the Node the serving Aranya instance runs on (as the original aranya reported it)
 * @param nodeName           the device's Node
 * @param kubeletPort        the port of the device's kubelet endpoint on the Aranya host; kept across restarts
 * @param transport          the connectivity method of the agent's current connection, if any
 * @param lastSeen           RFC 3339 time of the last message from the agent
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record EdgeDeviceStatus(List<Condition> conditions, Long observedGeneration, String hostNode,
                               String nodeName, Integer kubeletPort, String transport, String lastSeen) {
    public EdgeDeviceStatus {
        conditions = conditions == null ? List.of() : List.copyOf(conditions);
    }
}
