package dev.aranya.itests.support;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/** Node conditions as the tests read them. */
public final class Nodes {
    private Nodes() {
    }

    /** The Node's Ready status ({@code True}, {@code False}, {@code Unknown}), or {@code none} (no Node, no condition). */
    public static String readyStatus(KubernetesClient kube, String node) {
        return readyStatus(kube.nodes().withName(node).get());
    }

    public static String readyStatus(Node node) {
        return Optional.ofNullable(node).map(Node::getStatus)
                .flatMap(s -> s.getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst())
                .map(NodeCondition::getStatus).orElse("none");
    }
}
