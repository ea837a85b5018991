package dev.aranya.controller.internal;

import static dev.aranya.controller.internal.DeviceConditions.CERTIFICATE_READY;
import static dev.aranya.controller.internal.DeviceConditions.CONNECTED;
import static dev.aranya.controller.internal.DeviceConditions.KUBELET_SERVING;
import static dev.aranya.controller.internal.DeviceConditions.NODE_READY;
import static dev.aranya.controller.internal.DeviceConditions.TRANSPORT_AVAILABLE;
import static dev.aranya.controller.internal.DeviceConditions.VALID;

import dev.aranya.api.Aranya;
import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.host.HostAddresses;
import dev.aranya.api.host.HostAddresses.HostIdentity;
import dev.aranya.api.kubelet.KubeletEndpoints;
import dev.aranya.api.kubelet.KubeletEndpoints.KubeletNode;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.model.EdgeDeviceStatus;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.controller.internal.NodeObjects.Health;
import dev.aranya.protocol.v1.NodeInfo;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one device's objects in line with its EdgeDevice and its agent's connection: idempotent, reading the
 * informers' caches and writing only what differs. Deletion goes through a finalizer, so the Node, node Lease,
 * virtual pod and certificate of the device are removed before the EdgeDevice is, and nothing else is.
 */
final class DeviceReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceReconciler.class);
    private static final int CONFLICT = 409;
    private static final int NOT_FOUND = 404;
    /** a metav1.MicroTime */
    private static final DateTimeFormatter MICRO_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** The settings the reconcile needs. */
    /** @param kubeletVersion what the Nodes report as their kubelet's version; empty: the apiserver's */
    record Settings(Duration offlineGrace, int defaultPodAllocatable, int nodeLeaseDurationSeconds, Duration lastSeenRefresh,
                    String kubeletVersion) {
    }

    /** Thrown to have the device reconciled again after its backoff delay, with a message for the log. */
    static final class RetryLater extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RetryLater(String message) {
            super(message, null, false, false);
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final Settings settings;
    private final Caches caches;
    private final KubeletPorts ports;
    private final DeviceStates states;
    private final WorkQueue queue;
    private final BoundServices services;
    private final DeviceSessions sessions;
    private final HostAddresses host;
    private final EventRecorder events;
    private final Clock clock;
    private volatile String apiserverVersion;

    DeviceReconciler(KubernetesClient client, String namespace, Settings settings, Caches caches, KubeletPorts ports,
                     DeviceStates states, WorkQueue queue, BoundServices services, DeviceSessions sessions,
                     HostAddresses host, EventRecorder events, Clock clock) {
        this.client = client;
        this.namespace = namespace;
        this.settings = settings;
        this.caches = caches;
        this.ports = ports;
        this.states = states;
        this.queue = queue;
        this.services = services;
        this.sessions = sessions;
        this.host = host;
        this.events = events;
        this.clock = clock;
    }

    String namespace() {
        return namespace;
    }

    void reconcile(String name) {
        EdgeDevice device = caches.device(name);
        if (device == null) {
            removeLeftovers(name);
            return;
        }
        if (device.getMetadata().getDeletionTimestamp() != null) {
            finalizeDevice(device);
            return;
        }
        if (!device.getMetadata().getFinalizers().contains(Names.FINALIZER)) {
            device = addFinalizer(device);
        }
        DeviceId id = new DeviceId(namespace, name);
        DeviceState state = states.get(name);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        long generation = device.getMetadata().getGeneration() == null ? 0 : device.getMetadata().getGeneration();
        EdgeDeviceStatus previous = device.getStatus();
        DeviceConditions conditions = new DeviceConditions(previous == null ? null : previous.conditions(), generation, now);
        HostIdentity hostIdentity = host.current();

        List<String> problems = SpecValidation.problems(device.getSpec());
        if (!problems.isEmpty()) {
            stopServing(id, state, false);
            conditions.set(VALID, "False", "InvalidSpec", String.join("; ", problems));
            writeStatus(device, conditions, hostIdentity, null, state, now);
            return;
        }
        int port = ports.claim(name, previousPort(device));
        DeviceSession session = state.session;
        Health health = health(state, now);
        NodeInfo info = session == null ? null : session.nodeInfo();

        Node node = ensureNode(device, info);
        if (node == null) {
            stopServing(id, state, false);
            ports.release(name);
            conditions.set(VALID, "False", "NodeNameTaken", "a Node named '" + name + "' exists that Aranya does not manage "
                    + "for namespace '" + namespace + "' (another namespace's device or a real node): rename the EdgeDevice");
            writeStatus(device, conditions, hostIdentity, null, state, now);
            return;
        }
        conditions.set(VALID, "True", "SpecValid", "the spec is valid");
        node = ensureNodeStatus(node, hostIdentity, port, info, podCapacity(device), health, state.offlineReason, now);
        ensureNodeLease(node, health == Health.ONLINE, now);
        ensureVirtualPod(device, health == Health.ONLINE, hostIdentity, now);

        serveTransport(device, id, state, conditions, generation);
        String kubeletProblem = serveKubelet(id, name, port, state, conditions);
        requestCertificate(id, name, state, conditions);

        if (session != null) {
            conditions.set(CONNECTED, "True", "AgentConnected", "connected over " + session.method() + " from "
                    + session.peer() + " since " + session.connectedAt().truncatedTo(ChronoUnit.SECONDS));
            conditions.set(NODE_READY, "True", NodeObjects.REASON_CONNECTED, "Node " + name + " is Ready");
        } else {
            String why = state.offlineReason == null ? "the device's agent is not connected" : state.offlineReason;
            conditions.set(CONNECTED, "False", "AgentDisconnected", why);
            conditions.set(NODE_READY, "False", health == Health.LEAVING ? "DeviceLeaving" : NodeObjects.REASON_DISCONNECTED,
                    health == Health.LEAVING ? "Node " + name + " stays Ready for the offline grace" : "Node " + name + " is not Ready: " + why);
        }
        PeripheralSync.sync(device.getSpec().peripherals(), session, conditions);
        writeStatus(device, conditions, hostIdentity, port, state, now);

        if (health == Health.LEAVING) {
            queue.addAfter(name, Duration.between(now, state.offlineAt.plus(settings.offlineGrace())).plusMillis(500));
        }
        if (kubeletProblem != null) {
            throw new RetryLater(kubeletProblem);
        }
    }

    Health health(DeviceState state, Instant now) {
        if (state.session != null) {
            return Health.ONLINE;
        }
        Instant offlineAt = state.offlineAt;
        return offlineAt != null && now.isBefore(offlineAt.plus(settings.offlineGrace())) ? Health.LEAVING : Health.OFFLINE;
    }

    private int podCapacity(EdgeDevice device) {
        Integer allocatable = device.getSpec().pod() == null ? null : device.getSpec().pod().allocatable();
        return (allocatable == null || allocatable <= 0 ? settings.defaultPodAllocatable() : allocatable) + 1;
    }

    /** The port the device had: its status says, else its Node (the status may have been lost). */
    Integer previousPort(EdgeDevice device) {
        if (device.getStatus() != null && device.getStatus().kubeletPort() != null) {
            return device.getStatus().kubeletPort();
        }
        Node node = caches.node(device.getMetadata().getName());
        if (node != null && node.getStatus() != null && node.getStatus().getDaemonEndpoints() != null
                && node.getStatus().getDaemonEndpoints().getKubeletEndpoint() != null) {
            return node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort();
        }
        return null;
    }

    private EdgeDevice addFinalizer(EdgeDevice device) {
        EdgeDevice copy = copy(device);
        List<String> finalizers = new ArrayList<>(copy.getMetadata().getFinalizers());
        finalizers.add(Names.FINALIZER);
        copy.getMetadata().setFinalizers(finalizers);
        return client.resources(EdgeDevice.class).inNamespace(namespace).resource(copy).update();
    }

    /** @return the device's Node, or null if the name is taken by a Node that is not the device's */
    private Node ensureNode(EdgeDevice device, NodeInfo info) {
        String name = device.getMetadata().getName();
        Node node = caches.node(name);
        if (node == null) {
            try {
                Node created = client.nodes().resource(NodeObjects.newNode(device, info)).create();
                LOG.info("Created Node {} for EdgeDevice {}/{}", name, namespace, name);
                return created;
            } catch (KubernetesClientException e) {
                if (e.getCode() != CONFLICT) {
                    throw e;
                }
                Node existing = client.nodes().withName(name).get();
                if (existing != null && !NodeObjects.ownedBy(existing, namespace, name)) {
                    return null;
                }
                throw new RetryLater("Node " + name + " appeared meanwhile");
            }
        }
        if (node.getMetadata().getDeletionTimestamp() != null) {
            throw new RetryLater("Node " + name + " is being deleted; it is created again once it is gone");
        }
        Node updated = NodeObjects.withDesiredMetadataAndSpec(node, device, info);
        return updated == null ? node : client.nodes().resource(updated).update();
    }

    /**
     * The configured kubelet version, else the apiserver's (asked once; until it answers, empty): Aranya serves the
     * kubelet API the control plane expects, and version skew checks of tools see a kubelet of their own version.
     */
    private String kubeletVersion() {
        if (!settings.kubeletVersion().isEmpty()) {
            return settings.kubeletVersion();
        }
        String known = apiserverVersion;
        if (known == null) {
            try {
                known = client.getKubernetesVersion().getGitVersion();
                apiserverVersion = known;
            } catch (KubernetesClientException e) {
                LOG.debug("The apiserver's version is not known yet: {}", e.getMessage());
                return "";
            }
        }
        return known;
    }

    private Node ensureNodeStatus(Node node, HostIdentity hostIdentity, int port, NodeInfo info, int podCapacity,
                                  Health health, String offlineReason, Instant now) {
        NodeStatus desired = NodeObjects.desiredStatus(node.getStatus(), hostIdentity, port, info, kubeletVersion(), podCapacity, health,
                offlineReason, now);
        if (desired == null) {
            return node;
        }
        return client.nodes().resource(new NodeBuilder(node).withStatus(desired).build()).updateStatus();
    }

    private void ensureNodeLease(Node node, boolean online, Instant now) {
        String name = node.getMetadata().getName();
        Lease lease = caches.lease(name);
        Map<String, String> labels = Map.of(Aranya.LABEL_ROLE, Names.ROLE_NODE_LEASE, Aranya.LABEL_NAMESPACE, namespace,
                Aranya.LABEL_NAME, name);
        if (lease == null) {
            try {
                client.leases().inNamespace(Names.NODE_LEASE_NAMESPACE).resource(new LeaseBuilder()
                        .withNewMetadata().withName(name).withNamespace(Names.NODE_LEASE_NAMESPACE).withLabels(labels)
                        // the Node owns it: the garbage collector removes it with the Node
                        .addNewOwnerReference().withApiVersion("v1").withKind("Node").withName(name)
                        .withUid(node.getMetadata().getUid()).endOwnerReference().endMetadata()
                        .withNewSpec().withHolderIdentity(name).withLeaseDurationSeconds(settings.nodeLeaseDurationSeconds())
                        .withRenewTime(online ? now.atZone(ZoneOffset.UTC) : null).endSpec().build()).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() != CONFLICT) {
                    throw e;
                }
            }
            return;
        }
        boolean ownerCurrent = lease.getMetadata().getOwnerReferences().stream()
                .anyMatch(owner -> Objects.equals(owner.getUid(), node.getMetadata().getUid()));
        if (!ownerCurrent || !name.equals(lease.getSpec().getHolderIdentity())
                || !Objects.equals(settings.nodeLeaseDurationSeconds(), lease.getSpec().getLeaseDurationSeconds())) {
            client.leases().inNamespace(Names.NODE_LEASE_NAMESPACE).resource(new LeaseBuilder(lease).editMetadata()
                    .withOwnerReferences().addNewOwnerReference().withApiVersion("v1").withKind("Node").withName(name)
                    .withUid(node.getMetadata().getUid()).endOwnerReference().endMetadata()
                    .editSpec().withHolderIdentity(name).withLeaseDurationSeconds(settings.nodeLeaseDurationSeconds())
                    .endSpec().build()).update();
        }
    }

    private void ensureVirtualPod(EdgeDevice device, boolean online, HostIdentity hostIdentity, Instant now) {
        String name = device.getMetadata().getName();
        Pod pod = caches.pod(name);
        if (pod != null && (pod.getMetadata().getDeletionTimestamp() != null || !VirtualPods.upToDate(pod, device))) {
            // no kubelet confirms the deletion of this pod: Aranya is its kubelet; the deletion brings it back here
            client.pods().inNamespace(namespace).withName(name).withGracePeriod(0L).delete();
            LOG.info("Deleted virtual pod {}/{} ({}); it is created again", namespace, name,
                    pod.getMetadata().getDeletionTimestamp() != null ? "deletion requested" : "spec changed");
            return;
        }
        if (pod == null) {
            try {
                pod = client.pods().inNamespace(namespace).resource(VirtualPods.newPod(device)).create();
                LOG.info("Created virtual pod {}/{}", namespace, name);
            } catch (KubernetesClientException e) {
                if (e.getCode() != CONFLICT) {
                    throw e;
                }
                Pod existing = client.pods().inNamespace(namespace).withName(name).get();
                if (existing != null && !VirtualPods.ownedBy(existing, namespace, name)) {
                    throw new RetryLater("a pod named " + namespace + "/" + name + " exists that is not the device's virtual pod");
                }
                throw new RetryLater("virtual pod " + namespace + "/" + name + " appeared meanwhile");
            }
        }
        String hostIp = NodeObjects.addresses(hostIdentity).get(0).getAddress();
        PodStatus status = VirtualPods.desiredStatus(pod, online, hostIp, now);
        if (status != null) {
            client.pods().inNamespace(namespace).resource(new PodBuilder(pod).withStatus(status).build()).updateStatus();
        }
    }

    private void serveTransport(EdgeDevice device, DeviceId id, DeviceState state, DeviceConditions conditions, long generation) {
        String method = device.getSpec().connectivity().method();
        Optional<DeviceTransport> transport = services.transport(method);
        if (transport.isEmpty()) {
            unregister(id, state);
            conditions.set(TRANSPORT_AVAILABLE, "False", "TransportMissing", "no transport serves method '" + method
                    + "' now; the device comes up when its transport bundle runs");
            return;
        }
        if (state.registeredWith == transport.get() && Objects.equals(state.registeredGeneration, generation)) {
            return;
        }
        if (state.registeredWith != null && state.registeredWith != transport.get()) {
            unregister(id, state);
        }
        try {
            transport.get().register(device, sessions.connectionListener());
            state.registeredWith = transport.get();
            state.registeredGeneration = generation;
            conditions.set(TRANSPORT_AVAILABLE, "True", "TransportRegistered", "the " + method + " transport serves the device");
        } catch (IllegalArgumentException e) {
            state.registeredWith = null;
            conditions.set(TRANSPORT_AVAILABLE, "False", "TransportRejected", e.getMessage());
        }
    }

    /** @return why the kubelet endpoint could not be served, or null */
    private String serveKubelet(DeviceId id, String name, int port, DeviceState state, DeviceConditions conditions) {
        Optional<KubeletEndpoints> kubelet = services.kubelet();
        if (kubelet.isEmpty()) {
            state.servedBy = null;
            state.served = null;
            conditions.set(KUBELET_SERVING, "Unknown", "NoKubeletService", "no kubelet endpoints service runs (bundle dev.aranya.kubelet)");
            return null;
        }
        KubeletNode node = new KubeletNode(id, name, name, port);
        if (state.servedBy == kubelet.get() && node.equals(state.served)) {
            return null;
        }
        try {
            kubelet.get().serve(node);
            state.servedBy = kubelet.get();
            state.served = node;
            conditions.set(KUBELET_SERVING, "True", "Serving", "kubelet API on port " + port);
            return null;
        } catch (IOException e) {
            conditions.set(KUBELET_SERVING, "False", "PortUnavailable", e.getMessage());
            return "kubelet endpoint of " + id + " on port " + port + ": " + e.getMessage();
        }
    }

    private void requestCertificate(DeviceId id, String name, DeviceState state, DeviceConditions conditions) {
        Optional<NodeCertificates> certificates = services.certificates();
        if (certificates.isEmpty()) {
            state.certificatesFrom = null;
            conditions.set(CERTIFICATE_READY, "Unknown", "NoCertificateService", "no node certificates service runs (bundle dev.aranya.certs)");
            return;
        }
        if (state.certificatesFrom != certificates.get()) {
            state.certificatesFrom = certificates.get();
            state.certificateDone = false;
            state.certificateProblem = null;
            try {
                certificates.get().ensure(id, name).whenComplete((certificate, failure) -> {
                    state.certificateProblem = failure == null ? "" : message(failure);
                    state.certificateDone = true;
                    queue.add(name);
                });
            } catch (RuntimeException e) {
                state.certificateProblem = message(e);
                state.certificateDone = true;
            }
        }
        if (!state.certificateDone) {
            conditions.set(CERTIFICATE_READY, "Unknown", "CertificatePending", "the serving certificate of Node " + name + " is requested");
        } else if (state.certificateProblem.isEmpty()) {
            conditions.set(CERTIFICATE_READY, "True", "CertificateIssued", "Node " + name + " has its serving certificate");
        } else {
            conditions.set(CERTIFICATE_READY, "False", "CertificateFailed", state.certificateProblem);
            // asked again after the failure delay
            state.certificatesFrom = null;
            queue.addRateLimited(name);
        }
    }

    private static String message(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    private void writeStatus(EdgeDevice device, DeviceConditions conditions, HostIdentity hostIdentity, Integer port,
                             DeviceState state, Instant now) {
        EdgeDeviceStatus previous = device.getStatus();
        DeviceSession session = state.session;
        String lastSeen = previous == null ? null : previous.lastSeen();
        Instant seen = session != null ? session.lastSeen() : state.offlineAt;
        if (seen != null) {
            Instant before = lastSeen == null ? null : Instant.parse(lastSeen);
            boolean connectionChanged = conditions.changed().stream().anyMatch(c -> CONNECTED.equals(c.getType()));
            if (before == null || connectionChanged || (seen.isAfter(before)
                    && Duration.between(before, seen).compareTo(settings.lastSeenRefresh()) >= 0)) {
                lastSeen = seen.truncatedTo(ChronoUnit.SECONDS).toString();
            }
        }
        EdgeDeviceStatus desired = new EdgeDeviceStatus(conditions.list(), device.getMetadata().getGeneration(),
                hostIdentity.hostname(), port == null ? null : device.getMetadata().getName(), port,
                session == null ? null : session.method(), lastSeen);
        if (desired.equals(previous)) {
            return;
        }
        EdgeDevice copy = copy(device);
        copy.setStatus(desired);
        client.resources(EdgeDevice.class).inNamespace(namespace).resource(copy).updateStatus();
        for (Condition changed : conditions.changed()) {
            recordEvent(device, changed);
        }
    }

    private void recordEvent(EdgeDevice device, Condition condition) {
        if (NODE_READY.equals(condition.getType())) {
            return; // follows Connected, whose events say it
        }
        if ("False".equals(condition.getStatus())) {
            boolean disconnect = CONNECTED.equals(condition.getType());
            if (!disconnect || DeviceConditions.find(device.getStatus() == null ? null : device.getStatus().conditions(), CONNECTED) != null) {
                events.record(device, disconnect ? EventRecorder.NORMAL : EventRecorder.WARNING,
                        disconnect ? "Disconnected" : condition.getReason(), condition.getMessage());
            }
        } else if ("True".equals(condition.getStatus()) && (CONNECTED.equals(condition.getType()) || CERTIFICATE_READY.equals(condition.getType())
                || PeripheralSync.PERIPHERALS_READY.equals(condition.getType()))) {
            events.record(device, EventRecorder.NORMAL, CONNECTED.equals(condition.getType()) ? "Connected" : condition.getReason(),
                    condition.getMessage());
        }
    }

    private static EdgeDevice copy(EdgeDevice device) {
        EdgeDevice copy = new EdgeDevice();
        copy.setMetadata(new ObjectMetaBuilder(device.getMetadata()).build());
        copy.setSpec(device.getSpec());
        copy.setStatus(device.getStatus());
        return copy;
    }

    private void unregister(DeviceId id, DeviceState state) {
        if (state.registeredWith == null) {
            return;
        }
        // a transport no longer bound closed its connections itself, saying it stopped (see DeviceTransport)
        if (services.bound(state.registeredWith)) {
            try {
                state.registeredWith.unregister(id);
            } catch (RuntimeException e) {
                LOG.warn("The {} transport failed to unregister {}", state.registeredWith.method(), id, e);
            }
        }
        state.registeredWith = null;
        state.registeredGeneration = null;
    }

    /**
     * Stops everything this instance does for the device outside the cluster: transport, kubelet endpoint,
     * certificate renewal.
     *
     * @param deleted the EdgeDevice is gone: its stored certificate goes too
     */
    void stopServing(DeviceId id, DeviceState state, boolean deleted) {
        unregister(id, state);
        if (state.servedBy != null) {
            try {
                state.servedBy.stop(id);
            } catch (RuntimeException e) {
                LOG.warn("The kubelet endpoints failed to stop {}", id, e);
            }
            state.servedBy = null;
            state.served = null;
        }
        Optional<NodeCertificates> certificates = services.certificates();
        if (state.certificatesFrom != null || deleted) {
            if (certificates.isPresent()) {
                try {
                    certificates.get().release(id, deleted);
                } catch (RuntimeException e) {
                    LOG.warn("The node certificates failed to release {}", id, e);
                }
            } else if (deleted) {
                LOG.warn("EdgeDevice {} is deleted while no node certificates service runs: its stored certificate "
                        + "stays until that service releases it", id);
            }
            state.certificatesFrom = null;
        }
    }

    private void finalizeDevice(EdgeDevice device) {
        String name = device.getMetadata().getName();
        if (device.getMetadata().getFinalizers().contains(Names.FINALIZER)) {
            deleteOwnedObjects(name);
            EdgeDevice copy = copy(device);
            copy.getMetadata().setFinalizers(copy.getMetadata().getFinalizers().stream()
                    .filter(finalizer -> !Names.FINALIZER.equals(finalizer)).toList());
            client.resources(EdgeDevice.class).inNamespace(namespace).resource(copy).update();
            LOG.info("EdgeDevice {}/{} deleted: its Node, node Lease, virtual pod and certificate are removed", namespace, name);
        }
    }

    /**
     * No EdgeDevice in the cache: if the device's objects are there, it is gone (its finalizer was forced off, or it
     * went while no instance led) and they are cleaned up. Without such objects it may only be that the informer has
     * not seen a new EdgeDevice yet, while its agent already connected: nothing is done, least of all disconnecting it.
     */
    private void removeLeftovers(String name) {
        if (caches.node(name) != null || caches.pod(name) != null || caches.lease(name) != null) {
            deleteOwnedObjects(name);
        }
    }

    private void deleteOwnedObjects(String name) {
        DeviceId id = new DeviceId(namespace, name);
        stopServing(id, states.get(name), true);
        sessions.disconnect(id, "its EdgeDevice was deleted");
        Pod pod = caches.pod(name);
        if (pod != null && VirtualPods.ownedBy(pod, namespace, name)) {
            client.pods().inNamespace(namespace).withName(name).withGracePeriod(0L).delete();
        }
        Lease lease = caches.lease(name);
        if (lease != null) {
            client.leases().inNamespace(Names.NODE_LEASE_NAMESPACE).withName(name).delete();
        }
        Node node = caches.node(name);
        if (node != null && NodeObjects.ownedBy(node, namespace, name)) {
            client.nodes().withName(name).delete();
        }
        ports.release(name);
        states.remove(name);
    }

    /**
     * Renews the node Leases of the connected devices (the node lifecycle controller's heartbeat), many at a time:
     * one after the other, a slow apiserver lets a round of thousands outlast the Leases' duration.
     */
    void renewNodeLeases(java.util.concurrent.ExecutorService renewers) throws InterruptedException {
        String renewTime = MICRO_TIME.format(clock.instant());
        List<java.util.concurrent.Callable<Void>> renewals = new ArrayList<>();
        for (String name : states.online()) {
            if (caches.lease(name) != null) {
                renewals.add(() -> {
                    renewNodeLease(name, renewTime);
                    return null;
                });
            }
        }
        renewers.invokeAll(renewals);
    }

    private void renewNodeLease(String name, String renewTime) {
        try {
            client.leases().inNamespace(Names.NODE_LEASE_NAMESPACE).withName(name)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"renewTime\":\"" + renewTime + "\"}}");
        } catch (KubernetesClientException e) {
            if (e.getCode() == NOT_FOUND) {
                queue.add(name);
            } else {
                LOG.debug("Node Lease {} not renewed: {}", name, e.getMessage());
            }
        }
    }
}
