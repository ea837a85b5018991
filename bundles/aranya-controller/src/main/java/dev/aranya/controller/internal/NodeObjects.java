package dev.aranya.controller.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.host.HostAddresses.HostIdentity;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.model.NodeSpec;
import dev.aranya.protocol.v1.NodeInfo;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.NodeStatusBuilder;
import io.fabric8.kubernetes.api.model.NodeSystemInfo;
import io.fabric8.kubernetes.api.model.NodeSystemInfoBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Node of a device, as Aranya wants it: what to create, how to bring an existing one in line without undoing
 * what others (users, the node lifecycle controller) put on it, and its status.
 */
final class NodeObjects {
    static final String READY = "Ready";
    static final String REASON_CONNECTED = "EdgeDeviceConnected";
    static final String REASON_DISCONNECTED = "EdgeDeviceDisconnected";
    private static final List<String> PRESSURE_CONDITIONS = List.of("MemoryPressure", "DiskPressure", "PIDPressure",
            "NetworkUnavailable");

    /** What Aranya knows of the device's connection when it writes the Node's status. */
    enum Health {
        /** the agent is connected: Ready=True */
        ONLINE,
        /** the agent is gone (past the grace) or never came: Ready=Unknown */
        OFFLINE,
        /** the agent left less than the grace ago: Ready stays as it is */
        LEAVING
    }

    private NodeObjects() {
    }

    /** The Node to create for the device (metadata, spec and an initial status). */
    static Node newNode(EdgeDevice device, NodeInfo info) {
        Node node = new NodeBuilder().withNewMetadata().withName(device.getMetadata().getName()).endMetadata()
                .withNewSpec().endSpec().build();
        Node updated = withDesiredMetadataAndSpec(node, device, info);
        return updated == null ? node : updated;
    }

    /**
     * The existing Node with Aranya's labels, annotations, taints and provider id applied, or null if it already
     * has them. Labels, annotations and taints others set are kept; those a former {@code spec.node} set and the
     * current one does not are removed.
     */
    static Node withDesiredMetadataAndSpec(Node existing, EdgeDevice device, NodeInfo info) {
        String namespace = device.getMetadata().getNamespace();
        String name = device.getMetadata().getName();
        NodeSpec nodeSpec = device.getSpec() == null || device.getSpec().node() == null
                ? new NodeSpec(null, null, null, null) : device.getSpec().node();
        Map<String, String> currentLabels = orEmpty(existing.getMetadata().getLabels());
        Map<String, String> currentAnnotations = orEmpty(existing.getMetadata().getAnnotations());
        AppliedKeys previous = AppliedKeys.parse(currentAnnotations.get(Names.ANNOTATION_APPLIED_NODE_SPEC));

        Map<String, String> labels = new LinkedHashMap<>(currentLabels);
        previous.labels().forEach(labels::remove);
        nodeSpec.labels().forEach((key, value) -> {
            if (!SpecValidation.reservedLabel(key)) {
                labels.put(key, value);
            }
        });
        labels.putAll(ownLabels(namespace, name));
        if (info != null) {
            labels.putAll(platformLabels(info));
        }

        List<Taint> specTaints = nodeSpec.taints().stream()
                .filter(taint -> !Aranya.TAINT_KEY_NAMESPACE.equals(taint.getKey())).toList();
        Set<String> specTaintKeys = specTaints.stream().map(Taint::getKey).collect(Collectors.toSet());
        List<Taint> taints = new ArrayList<>();
        taints.add(namespaceTaint(namespace));
        taints.addAll(specTaints);
        for (Taint taint : orEmpty(existing.getSpec() == null ? null : existing.getSpec().getTaints())) {
            String key = taint.getKey();
            // others' taints (node.kubernetes.io/unreachable from the node lifecycle controller, a user's) stay
            if (!Aranya.TAINT_KEY_NAMESPACE.equals(key) && !specTaintKeys.contains(key) && !previous.taints().contains(key)) {
                taints.add(taint);
            }
        }

        AppliedKeys applied = new AppliedKeys(nodeSpec.labels().keySet().stream().filter(key -> !SpecValidation.reservedLabel(key))
                .collect(Collectors.toCollection(java.util.TreeSet::new)),
                new java.util.TreeSet<>(nodeSpec.annotations().keySet()), new java.util.TreeSet<>(specTaintKeys));
        Map<String, String> annotations = new LinkedHashMap<>(currentAnnotations);
        previous.annotations().forEach(annotations::remove);
        annotations.putAll(nodeSpec.annotations());
        annotations.put(Names.ANNOTATION_APPLIED_NODE_SPEC, applied.format());

        String providerId = Names.PROVIDER_ID_SCHEME + namespace + "/" + name;
        boolean unchanged = labels.equals(currentLabels) && annotations.equals(currentAnnotations)
                && sameTaints(taints, existing.getSpec() == null ? null : existing.getSpec().getTaints())
                && existing.getSpec() != null && providerId.equals(existing.getSpec().getProviderID());
        if (unchanged) {
            return null;
        }
        return new NodeBuilder(existing).editMetadata().withLabels(labels).withAnnotations(annotations).endMetadata()
                .editOrNewSpec().withTaints(taints).withProviderID(providerId).endSpec().build();
    }

    static Map<String, String> ownLabels(String namespace, String name) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Aranya.LABEL_ROLE, Aranya.ROLE_NODE);
        labels.put(Aranya.LABEL_NAMESPACE, namespace);
        labels.put(Aranya.LABEL_NAME, name);
        labels.put(Names.LABEL_HOSTNAME, name);
        return labels;
    }

    static Map<String, String> platformLabels(NodeInfo info) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (!info.getOs().isEmpty()) {
            labels.put(Names.LABEL_OS, info.getOs());
            labels.put(Names.LABEL_BETA_OS, info.getOs());
        }
        if (!info.getArchitecture().isEmpty()) {
            labels.put(Names.LABEL_ARCH, info.getArchitecture());
            labels.put(Names.LABEL_BETA_ARCH, info.getArchitecture());
            labels.put(Names.LABEL_ARHAT_ARCH, info.getArchitecture());
        }
        return labels;
    }

    static Taint namespaceTaint(String namespace) {
        return new TaintBuilder().withKey(Aranya.TAINT_KEY_NAMESPACE).withValue(namespace).withEffect("NoSchedule").build();
    }

    /** Whether the Node carries Aranya's marks for this device (and so is the device's own). */
    static boolean ownedBy(Node node, String namespace, String name) {
        Map<String, String> labels = orEmpty(node.getMetadata().getLabels());
        return Aranya.ROLE_NODE.equals(labels.get(Aranya.LABEL_ROLE)) && namespace.equals(labels.get(Aranya.LABEL_NAMESPACE))
                && name.equals(labels.get(Aranya.LABEL_NAME));
    }

    /**
     * The status the Node should have, or null if its current one already says the same. Conditions are compared by
     * status only, so that another writer's reason (the node lifecycle controller's {@code NodeStatusUnknown}) is
     * not fought over; their transition times stay unless the status changes.
     *
     * @param info        what the agent reported, null if it never connected to this leader
     * @param kubeletVersion the version the Node reports for its kubelet (kubectl's VERSION column)
     * @param podCapacity the Node's {@code pods} capacity
     * @param offlineWhy  why the device is offline, for the Ready condition's message
     */
    static NodeStatus desiredStatus(NodeStatus current, HostIdentity host, int port, NodeInfo info, String kubeletVersion, int podCapacity,
                                    Health health, String offlineWhy, Instant now) {
        NodeStatus base = current == null ? new NodeStatus() : current;
        NodeStatusBuilder status = new NodeStatusBuilder(base);
        boolean changed = false;

        List<NodeAddress> addresses = addresses(host);
        if (!addresses.equals(base.getAddresses())) {
            status.withAddresses(addresses);
            changed = true;
        }
        Integer currentPort = base.getDaemonEndpoints() == null || base.getDaemonEndpoints().getKubeletEndpoint() == null
                ? null : base.getDaemonEndpoints().getKubeletEndpoint().getPort();
        if (!Objects.equals(currentPort, port)) {
            status.withNewDaemonEndpoints().withNewKubeletEndpoint(port).endDaemonEndpoints();
            changed = true;
        }
        Map<String, Quantity> capacity = new LinkedHashMap<>(orEmpty(base.getCapacity()));
        if (info != null) {
            NodeSystemInfo nodeInfo = systemInfo(info, kubeletVersion);
            if (!nodeInfo.equals(base.getNodeInfo())) {
                status.withNodeInfo(nodeInfo);
                changed = true;
            }
            if (info.getCpus() > 0) {
                capacity.put("cpu", new Quantity(Integer.toString(info.getCpus())));
            }
            if (info.getMemoryBytes() > 0) {
                capacity.put("memory", new Quantity(Long.toUnsignedString(info.getMemoryBytes())));
            }
            if (info.getDiskBytes() > 0) {
                capacity.put("ephemeral-storage", new Quantity(Long.toUnsignedString(info.getDiskBytes())));
            }
        }
        capacity.put("pods", new Quantity(Integer.toString(podCapacity)));
        if (!sameQuantities(capacity, base.getCapacity()) || !sameQuantities(capacity, base.getAllocatable())) {
            // no pods run on the device: everything it has is allocatable
            status.withCapacity(capacity).withAllocatable(new LinkedHashMap<>(capacity));
            changed = true;
        }

        List<NodeCondition> conditions = new ArrayList<>(orEmpty(base.getConditions()));
        boolean conditionsChanged = switch (health) {
            case ONLINE -> {
                boolean any = setCondition(conditions, READY, "True", REASON_CONNECTED, "the device's agent is connected", now);
                for (String type : PRESSURE_CONDITIONS) {
                    any |= setCondition(conditions, type, "False", REASON_CONNECTED, "reported by the device's agent", now);
                }
                yield any;
            }
            case OFFLINE -> setCondition(conditions, READY, "Unknown", REASON_DISCONNECTED,
                    offlineWhy == null ? "the device's agent is not connected" : offlineWhy, now);
            case LEAVING -> find(conditions, READY) == null
                    && setCondition(conditions, READY, "Unknown", REASON_DISCONNECTED, "the device's agent is not connected", now);
        };
        if (conditionsChanged) {
            status.withConditions(conditions);
            changed = true;
        }
        return changed ? status.build() : null;
    }

    /** The host's addresses as the Node's: InternalIP each, then the Hostname. */
    static List<NodeAddress> addresses(HostIdentity host) {
        List<NodeAddress> addresses = new ArrayList<>();
        for (InetAddress address : host.addresses()) {
            String text = address.getHostAddress();
            if (address instanceof Inet6Address) {
                int zone = text.indexOf('%');
                text = zone < 0 ? text : text.substring(0, zone);
            }
            addresses.add(new NodeAddress(text, "InternalIP"));
        }
        addresses.add(new NodeAddress(host.hostname(), "Hostname"));
        return addresses;
    }

    static NodeSystemInfo systemInfo(NodeInfo info, String kubeletVersion) {
        return new NodeSystemInfoBuilder().withMachineID(info.getMachineId()).withSystemUUID(info.getSystemUuid())
                .withBootID(info.getBootId()).withKernelVersion(info.getKernelVersion()).withOsImage(info.getOsImage())
                .withOperatingSystem(info.getOs()).withArchitecture(info.getArchitecture())
                // no container runtime, no kubelet: the agent is what runs there ("kubectl get nodes -o wide" shows it)
                .withContainerRuntimeVersion(info.getAgentVersion().isEmpty() ? "" : "arhat://" + info.getAgentVersion())
                .withKubeletVersion(kubeletVersion).withKubeProxyVersion("").build();
    }

    /** @return whether the condition's status changed (or it was added) */
    private static boolean setCondition(List<NodeCondition> conditions, String type, String status, String reason,
                                        String message, Instant now) {
        NodeCondition existing = find(conditions, type);
        if (existing != null && status.equals(existing.getStatus())) {
            return false;
        }
        NodeCondition updated = new NodeConditionBuilder().withType(type).withStatus(status).withReason(reason)
                .withMessage(message).withLastHeartbeatTime(now.toString()).withLastTransitionTime(now.toString()).build();
        if (existing == null) {
            conditions.add(updated);
        } else {
            conditions.set(conditions.indexOf(existing), updated);
        }
        return true;
    }

    static NodeCondition find(List<NodeCondition> conditions, String type) {
        return conditions.stream().filter(condition -> type.equals(condition.getType())).findFirst().orElse(null);
    }

    private static boolean sameQuantities(Map<String, Quantity> desired, Map<String, Quantity> current) {
        if (current == null || !desired.keySet().equals(current.keySet())) {
            return false;
        }
        return desired.entrySet().stream().allMatch(entry -> entry.getValue().getNumericalAmount()
                .compareTo(current.get(entry.getKey()).getNumericalAmount()) == 0);
    }

    private static boolean sameTaints(List<Taint> desired, List<Taint> current) {
        if (current == null || desired.size() != current.size()) {
            return false;
        }
        for (int i = 0; i < desired.size(); i++) {
            Taint a = desired.get(i);
            Taint b = current.get(i);
            if (!Objects.equals(a.getKey(), b.getKey()) || !Objects.equals(a.getValue(), b.getValue())
                    || !Objects.equals(a.getEffect(), b.getEffect())) {
                return false;
            }
        }
        return true;
    }

    private static <K, V> Map<K, V> orEmpty(Map<K, V> map) {
        return map == null ? Map.of() : map;
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    /**
     * The keys of {@code spec.node} last applied to the Node, kept in an annotation as
     * {@code labels=a,b;annotations=c;taints=d} (none of the three kinds of keys can hold {@code ,;=}).
     */
    record AppliedKeys(Set<String> labels, Set<String> annotations, Set<String> taints) {
        static AppliedKeys parse(String value) {
            Map<String, Set<String>> parts = new LinkedHashMap<>();
            if (value != null) {
                for (String part : value.split(";")) {
                    int equals = part.indexOf('=');
                    if (equals > 0) {
                        parts.put(part.substring(0, equals), Arrays.stream(part.substring(equals + 1).split(","))
                                .filter(key -> !key.isEmpty()).collect(Collectors.toCollection(LinkedHashSet::new)));
                    }
                }
            }
            return new AppliedKeys(parts.getOrDefault("labels", Set.of()), parts.getOrDefault("annotations", Set.of()),
                    parts.getOrDefault("taints", Set.of()));
        }

        String format() {
            return "labels=" + String.join(",", labels) + ";annotations=" + String.join(",", annotations)
                    + ";taints=" + String.join(",", taints);
        }
    }
}
