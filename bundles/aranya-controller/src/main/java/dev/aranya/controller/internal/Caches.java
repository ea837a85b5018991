package dev.aranya.controller.internal;

import dev.aranya.api.model.EdgeDevice;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;

/** The informers' views of the objects the controller reads, by device name. */
record Caches(String namespace, SharedIndexInformer<EdgeDevice> deviceInformer, SharedIndexInformer<Node> nodeInformer,
              SharedIndexInformer<Pod> podInformer, SharedIndexInformer<Lease> leaseInformer) {

    EdgeDevice device(String name) {
        return deviceInformer.getStore().getByKey(namespace + "/" + name);
    }

    List<EdgeDevice> devices() {
        return deviceInformer.getStore().list();
    }

    Node node(String name) {
        return nodeInformer.getStore().getByKey(name);
    }

    List<Node> nodes() {
        return nodeInformer.getStore().list();
    }

    Pod pod(String name) {
        return podInformer.getStore().getByKey(namespace + "/" + name);
    }

    Lease lease(String name) {
        return leaseInformer.getStore().getByKey(Names.NODE_LEASE_NAMESPACE + "/" + name);
    }
}
