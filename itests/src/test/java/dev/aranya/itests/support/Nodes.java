package dev.aranya.itests.support;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/** What an operator reads off a Node with {@code kubectl get node}. */
public final class Nodes {
    private Nodes() {
    }

    /** The status of the Node's Ready condition (True, False, Unknown); empty while the Node or the condition is missing. */
    public static Optional<String> readyStatus(KubernetesClient kube, String node) {
        return readyStatus(kube.nodes().withName(node).get());
    }

    /** The status of the Node's Ready condition; empty for no Node or no condition. */
    public static Optional<String> readyStatus(Node node) {
        return Optional.ofNullable(node)
                .filter(n -> n.getStatus() != null && n.getStatus().getConditions() != null)
                .flatMap(n -> n.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst())
                .map(NodeCondition::getStatus);
    }
}
