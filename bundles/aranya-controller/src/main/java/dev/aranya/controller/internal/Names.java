package dev.aranya.controller.internal;

import dev.aranya.api.Aranya;

/** Names of the objects and fields the controller writes, beyond those of {@link Aranya}. */
final class Names {
    /** On every EdgeDevice Aranya serves: its Node, node Lease, virtual pod and certificate go before it does. */
    static final String FINALIZER = Aranya.GROUP + "/finalizer";
    /** Keys of the EdgeDevice's {@code spec.node} last applied to the Node, to remove what the spec no longer has. */
    static final String ANNOTATION_APPLIED_NODE_SPEC = Aranya.GROUP + "/applied-node-spec";
    static final String NODE_LEASE_NAMESPACE = "kube-node-lease";
    static final String ROLE_NODE_LEASE = "NodeLease";
    static final String ROLE_VIRTUAL_POD = "VirtualPod";
    static final String PROVIDER_ID_SCHEME = "aranya://";
    /** Container of the virtual pod standing for the device host; its image is never pulled (no kubelet runs). */
    static final String HOST_CONTAINER = Aranya.HOST_CONTAINER;
    static final String HOST_IMAGE = "virtualimage.arhat.dev/host";
    static final String PERIPHERAL_IMAGE = "virtualimage.arhat.dev/peripheral";
    static final String EVENT_SOURCE = "aranya";

    static final String LABEL_HOSTNAME = "kubernetes.io/hostname";
    static final String LABEL_OS = "kubernetes.io/os";
    static final String LABEL_ARCH = "kubernetes.io/arch";
    static final String LABEL_BETA_OS = "beta.kubernetes.io/os";
    static final String LABEL_BETA_ARCH = "beta.kubernetes.io/arch";
    static final String LABEL_ARHAT_ARCH = "arhat.dev/arch";

    private Names() {
    }
}
