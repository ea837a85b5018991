package dev.aranya.api;

/**
 * Names that make up Aranya's user-facing contract. They are the names the original Go aranya used, so that
 * its users' tolerations, selectors and tooling keep working.
 */
public final class Aranya {
    /** API group of the EdgeDevice custom resource. */
    public static final String GROUP = "aranya.arhat.dev";
    /** API version of the EdgeDevice custom resource. */
    public static final String VERSION = "v1alpha1";

    /** Taint key on every Node Aranya manages; the value is the EdgeDevice's namespace, the effect NoSchedule. */
    public static final String TAINT_KEY_NAMESPACE = "arhat.dev/namespace";
    /** Node label: the EdgeDevice's namespace. */
    public static final String LABEL_NAMESPACE = "arhat.dev/namespace";
    /** Node label: the EdgeDevice's name. */
    public static final String LABEL_NAME = "arhat.dev/name";
    /** Node label: the role of the node, always {@value #ROLE_NODE} for Aranya's Nodes. */
    public static final String LABEL_ROLE = "arhat.dev/role";
    /** Value of {@link #LABEL_ROLE} on Aranya's Nodes. */
    public static final String ROLE_NODE = "Node";

    /**
     * The virtual pod's container that stands for the device host itself (peripherals get containers of their own):
     * its exec, attach and logs go to the host, as those of the default container ("" in the protocol).
     */
    public static final String HOST_CONTAINER = "host";

    /** The connectivity methods Aranya knows of; a transport bundle serves one of them. */
    public static final String METHOD_GRPC = "grpc";
    public static final String METHOD_MQTT = "mqtt";
    public static final String METHOD_TCP = "tcp";

    private Aranya() {
    }
}
