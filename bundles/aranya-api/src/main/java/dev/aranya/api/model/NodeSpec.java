package dev.aranya.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Taint;
import java.util.List;
import java.util.Map;

/**
 * Customisation of the device's Node. Aranya's own labels and the namespace taint always win over these.
 *
 * @param cert        subject fields of the Node's serving certificate
 * @param labels      extra labels of the Node
 * @param annotations extra annotations of the Node
 * @param taints      extra taints of the Node
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record NodeSpec(NodeCertSpec cert, Map<String, String> labels, Map<String, String> annotations,
                       List<Taint> taints) {
    public NodeSpec {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        taints = taints == null ? List.of() : List.copyOf(taints);
    }

    /**
     * Subject fields of the Node's serving certificate. The organisation is always {@code system:nodes} (the
     * {@code kubernetes.io/kubelet-serving} signer requires it and refuses any other, so {@code org} is not used
     * (kept for the Go aranya's manifests).
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record NodeCertSpec(String country, String state, String locality, String org, String orgUnit) {
    }
}
