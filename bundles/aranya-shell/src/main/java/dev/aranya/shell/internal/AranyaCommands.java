package dev.aranya.shell.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.certs.DeviceIdentities;
import dev.aranya.api.certs.DeviceIdentities.BootstrapToken;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.model.EdgeDeviceStatus;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The operator's view of a running Aranya from its console (Gogo, or Karaf's): devices, sessions, transports. Every
 * service it reads is optional, so the commands answer with what exists even while a bundle is stopped.
 */
@Component(service = AranyaCommands.class, property = {
        "osgi.command.scope=aranya",
        "osgi.command.function=devices",
        "osgi.command.function=device",
        "osgi.command.function=sessions",
        "osgi.command.function=transports",
        "osgi.command.function=deviceToken"})
public final class AranyaCommands {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile DeviceSessions sessions;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile KubernetesClient client;

    @Reference(service = DeviceTransport.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private final List<ServiceReference<DeviceTransport>> transports = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile DeviceIdentities identities;

    @Descriptor("makes a one-time bootstrap token with which the device's agent enrols (gets its client certificate); "
            + "prints it once: put it into the file the agent's link.bootstrapTokenFile names")
    public void deviceToken(@Descriptor("the EdgeDevice's name") String name) throws Exception {
        print(deviceTokenText(name));
    }

    private String deviceTokenText(String name) throws Exception {
        KubernetesClient kube = requireClient();
        DeviceIdentities service = identities;
        if (service == null) {
            throw new IllegalStateException("the device identities service (bundle aranya-certs) is not running");
        }
        try {
            BootstrapToken token = service.createBootstrapToken(new DeviceId(kube.getNamespace(), name)).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            return "Bootstrap token of device " + token.device() + " (works once, until " + token.expires() + "):\n"
                    + token.token() + "\n";
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        }
    }

    @Descriptor("lists the EdgeDevices of the served namespace: transport, online, node ready, kubelet port, last seen")
    public void devices() {
        print(devicesText());
    }

    private String devicesText() {
        KubernetesClient kube = requireClient();
        List<EdgeDevice> devices = listDevices(kube);
        Map<String, Node> nodes = kube.nodes().withLabel(Aranya.LABEL_NAMESPACE, kube.getNamespace()).list()
                .getItems().stream().collect(Collectors.toMap(n -> n.getMetadata().getName(), Function.identity()));
        Table table = new Table("NAME", "TRANSPORT", "ONLINE", "NODE READY", "KUBELET PORT", "LAST SEEN");
        Instant now = Instant.now();
        for (EdgeDevice device : devices) {
            String name = device.getMetadata().getName();
            Optional<DeviceSession> session = session(new DeviceId(kube.getNamespace(), name));
            EdgeDeviceStatus status = device.getStatus();
            table.row(name, method(device), session.isPresent() ? "yes" : "no",
                    nodeReady(nodes.get(name)), status == null ? null : status.kubeletPort(),
                    session.map(s -> age(s.lastSeen(), now)).orElseGet(() -> lastSeen(status, now)));
        }
        return devices.isEmpty() ? "No EdgeDevices in namespace " + kube.getNamespace() + "\n" : table.toString();
    }

    @Descriptor("shows one EdgeDevice: its spec, conditions, Node and live session")
    public void device(@Descriptor("the EdgeDevice's name") String name) {
        print(deviceText(name));
    }

    private String deviceText(String name) {
        KubernetesClient kube = requireClient();
        EdgeDevice device = kube.resources(EdgeDevice.class).withName(name).get();
        if (device == null) {
            return "No EdgeDevice " + name + " in namespace " + kube.getNamespace() + "\n";
        }
        StringBuilder out = new StringBuilder();
        out.append("Name:          ").append(name).append('\n');
        out.append("Namespace:     ").append(kube.getNamespace()).append('\n');
        out.append("Transport:     ").append(method(device)).append('\n');
        EdgeDeviceStatus status = device.getStatus();
        if (status != null) {
            out.append("Node:          ").append(status.nodeName()).append('\n');
            out.append("Kubelet port:  ").append(status.kubeletPort()).append('\n');
            out.append("Last seen:     ").append(status.lastSeen()).append('\n');
            out.append("Conditions:\n");
            Table conditions = new Table("  TYPE", "STATUS", "REASON", "MESSAGE");
            for (Condition condition : status.conditions()) {
                conditions.row("  " + condition.getType(), condition.getStatus(), condition.getReason(),
                        condition.getMessage());
            }
            out.append(conditions);
        }
        Node node = kube.nodes().withName(name).get();
        out.append("Node ready:    ").append(nodeReady(node)).append('\n');
        Optional<DeviceSession> session = session(new DeviceId(kube.getNamespace(), name));
        if (session.isEmpty()) {
            out.append("Session:       none (the agent is not connected)\n");
        } else {
            DeviceSession s = session.get();
            out.append("Session:       ").append(s.method()).append(" from ").append(s.peer())
                    .append(", agent ").append(s.agentVersion()).append(", connected ").append(s.connectedAt())
                    .append(", ").append(s.openStreams()).append(" open streams\n");
            var info = s.nodeInfo();
            out.append("Device host:   ").append(info.getHostname()).append(", ").append(info.getOsImage())
                    .append(", kernel ").append(info.getKernelVersion()).append(", ").append(info.getArchitecture())
                    .append(", ").append(info.getCpus()).append(" CPUs\n");
        }
        return out.toString();
    }

    @Descriptor("lists the live device sessions and their open streams")
    public void sessions() {
        print(sessionsText());
    }

    private String sessionsText() {
        DeviceSessions registry = sessions;
        if (registry == null) {
            return "The session layer (bundle dev.aranya.session) is not running\n";
        }
        List<DeviceSession> all = new ArrayList<>(registry.all());
        all.sort(Comparator.comparing(s -> s.device().toString()));
        Table table = new Table("DEVICE", "METHOD", "PEER", "AGENT", "CONNECTED", "LAST SEEN", "STREAMS");
        Instant now = Instant.now();
        for (DeviceSession s : all) {
            table.row(s.device(), s.method(), s.peer(), s.agentVersion(), age(s.connectedAt(), now) + " ago",
                    age(s.lastSeen(), now) + " ago", s.openStreams());
        }
        return all.isEmpty() ? "No device is connected\n" : table.toString();
    }

    @Descriptor("lists the installed transports and how many devices are connected over each")
    public void transports() {
        print(transportsText());
    }

    private String transportsText() {
        DeviceSessions registry = sessions;
        Collection<DeviceSession> live = registry == null ? List.of() : registry.all();
        Table table = new Table("METHOD", "BUNDLE", "STATE", "CONNECTED DEVICES");
        List<ServiceReference<DeviceTransport>> sorted = new ArrayList<>(transports);
        sorted.sort(Comparator.comparing(r -> String.valueOf(r.getProperty(DeviceTransport.METHOD_PROPERTY))));
        for (ServiceReference<DeviceTransport> reference : sorted) {
            String method = String.valueOf(reference.getProperty(DeviceTransport.METHOD_PROPERTY));
            var bundle = reference.getBundle();
            table.row(method, bundle == null ? "(unregistered)" : bundle.getSymbolicName() + " " + bundle.getVersion(),
                    bundle == null ? "gone" : "active", live.stream().filter(s -> s.method().equals(method)).count());
        }
        return sorted.isEmpty() ? "No transport is installed\n" : table.toString();
    }

    /**
     * Commands print rather than return their text: Karaf's console prints a returned value only when interactive,
     * not for {@code ssh}/{@code bin/client} commands or scripts, while the session's output works everywhere.
     */
    private static void print(String text) {
        System.out.print(text);
        System.out.flush();
    }

    private KubernetesClient requireClient() {
        KubernetesClient kube = client;
        if (kube == null) {
            throw new IllegalStateException("No Kubernetes client: check etc/dev.aranya.kube.cfg and the log");
        }
        return kube;
    }

    private static List<EdgeDevice> listDevices(KubernetesClient kube) {
        try {
            List<EdgeDevice> devices = new ArrayList<>(kube.resources(EdgeDevice.class).list().getItems());
            devices.sort(Comparator.comparing(d -> d.getMetadata().getName()));
            return devices;
        } catch (KubernetesClientException e) {
            throw new IllegalStateException("Cannot list EdgeDevices in namespace " + kube.getNamespace() + ": "
                    + e.getMessage(), e);
        }
    }

    private Optional<DeviceSession> session(DeviceId device) {
        DeviceSessions registry = sessions;
        return registry == null ? Optional.empty() : registry.find(device);
    }

    private static String method(EdgeDevice device) {
        return device.getSpec() == null || device.getSpec().connectivity() == null ? null
                : device.getSpec().connectivity().method();
    }

    static String nodeReady(Node node) {
        if (node == null) {
            return "no node";
        }
        if (node.getStatus() == null || node.getStatus().getConditions() == null) {
            return "Unknown";
        }
        return node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
                .map(NodeCondition::getStatus).findFirst().orElse("Unknown");
    }

    private static String lastSeen(EdgeDeviceStatus status, Instant now) {
        if (status == null || status.lastSeen() == null) {
            return "never";
        }
        try {
            return age(Instant.parse(status.lastSeen()), now) + " ago";
        } catch (java.time.format.DateTimeParseException e) {
            return status.lastSeen();
        }
    }

    /** Ages the way kubectl prints them: 42s, 5m3s, 2h10m, 3d4h. */
    static String age(Instant then, Instant now) {
        Duration d = Duration.between(then, now);
        if (d.isNegative()) {
            d = Duration.ZERO;
        }
        long s = d.getSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m" + (s % 60) + "s";
        }
        if (s < 86_400) {
            return (s / 3600) + "h" + (s % 3600 / 60) + "m";
        }
        return (s / 86_400) + "d" + (s % 86_400 / 3600) + "h";
    }
}
