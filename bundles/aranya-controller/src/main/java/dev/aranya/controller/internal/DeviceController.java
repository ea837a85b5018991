package dev.aranya.controller.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.host.HostAddresses;
import dev.aranya.api.metrics.MetricsWriter;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.session.SessionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.v1.PeripheralsStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What the leader of a namespace runs, from the moment it leads until it stops: the informers, the work queue and
 * its workers, the watch on device sessions, the node Lease renewals and the periodic resync. Closing it stops all
 * of that at once and stops serving every device (transports, kubelet endpoints, certificate renewals); the
 * cluster's objects stay for the next leader. {@link #suspend()} stops the work against the cluster but keeps the
 * devices served ({@link Held}), for a next controller of this instance to take over.
 */
final class DeviceController implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceController.class);
    /** node Lease renewals in flight at once */
    private static final int RENEWERS = 8;
    /** a device's peripheral reports within this window make one reconcile: a device cannot flood the apiserver */
    private static final Duration PERIPHERALS_REPORT_WINDOW = Duration.ofSeconds(1);

    /** How the controller runs. */
    record Settings(DeviceReconciler.Settings reconcile, int portMin, int portMax, int workers, Duration resync,
                    Duration nodeLeaseRenew, double reconcilesPerSecond, int reconcileBurst, Duration retryBase,
                    Duration retryMax) {
    }

    private final KubernetesClient client;
    private final String namespace;
    private final Settings settings;
    private final BoundServices services;
    private final DeviceSessions sessions;
    private final HostAddresses host;
    private final Clock clock;

    private final ScheduledExecutorService timer;
    private final ExecutorService workers;
    private final ScheduledExecutorService renewers;
    private final WorkQueue queue;
    private final DeviceStates states;
    private final ReconcileMetrics metrics;
    private final KubeletPorts ports;
    private DeviceReconciler reconciler;
    private List<SharedIndexInformer<?>> informers = List.of();
    private AutoCloseable sessionWatch;
    private AutoCloseable hostWatch;
    /** what a suspended controller of this instance still serves, until this one has taken it over */
    private Held adopted;

    /** @param adopted the devices a suspended controller still serves, or null */
    DeviceController(KubernetesClient client, String namespace, Settings settings, BoundServices services,
                     DeviceSessions sessions, HostAddresses host, ReconcileMetrics metrics, Clock clock, Held adopted) {
        this.client = client;
        this.metrics = metrics;
        this.namespace = namespace;
        this.settings = settings;
        this.services = services;
        this.sessions = sessions;
        this.host = host;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(ClientThreads.factory(client, "aranya-controller-timer-" + namespace));
        this.workers = Executors.newFixedThreadPool(settings.workers(), ClientThreads.factory(client, "aranya-reconcile-" + namespace));
        // one thread runs the round, the others renew; off the timer, which must keep the queue's delays on time
        this.renewers = Executors.newScheduledThreadPool(RENEWERS + 1, ClientThreads.factory(client, "aranya-node-lease-" + namespace));
        this.queue = new WorkQueue(timer, settings.retryBase(), settings.retryMax(), settings.reconcilesPerSecond(),
                settings.reconcileBurst());
        // the held states know which devices are registered and served: nothing is registered twice or dropped
        this.states = adopted != null ? adopted.states : new DeviceStates(clock);
        this.adopted = adopted;
        this.ports = new KubeletPorts(settings.portMin(), settings.portMax());
    }

    /** Starts the informers, waits until their caches are filled, then starts reconciling. */
    void start(Duration syncTimeout) throws Exception {
        SharedIndexInformer<EdgeDevice> devices = client.resources(EdgeDevice.class).inNamespace(namespace).runnableInformer(0);
        SharedIndexInformer<Node> nodes = client.nodes().withLabel(Aranya.LABEL_ROLE, Aranya.ROLE_NODE)
                .withLabel(Aranya.LABEL_NAMESPACE, namespace).runnableInformer(0);
        SharedIndexInformer<Pod> pods = client.pods().inNamespace(namespace).withLabel(Aranya.LABEL_ROLE, Names.ROLE_VIRTUAL_POD)
                .runnableInformer(0);
        SharedIndexInformer<Lease> leases = client.leases().inNamespace(Names.NODE_LEASE_NAMESPACE)
                .withLabel(Aranya.LABEL_ROLE, Names.ROLE_NODE_LEASE).withLabel(Aranya.LABEL_NAMESPACE, namespace)
                .runnableInformer(0);
        devices.addEventHandler(enqueue(device -> device.getMetadata().getName(), (before, after) -> true));
        nodes.addEventHandler(enqueue(DeviceController::deviceName, (before, after) -> true));
        pods.addEventHandler(enqueue(DeviceController::deviceName, (before, after) -> true));
        // renewals change the Leases every few seconds: only other changes need a reconcile
        leases.addEventHandler(enqueue(DeviceController::deviceName, (before, after) -> !Objects.equals(before.getMetadata().getOwnerReferences(),
                after.getMetadata().getOwnerReferences()) || !Objects.equals(before.getSpec().getHolderIdentity(), after.getSpec().getHolderIdentity())));
        informers = List.of(devices, nodes, pods, leases);
        CompletableFuture.allOf(informers.stream().map(informer -> informer.start().toCompletableFuture())
                .toArray(CompletableFuture[]::new)).get(syncTimeout.toMillis(), TimeUnit.MILLISECONDS);

        Caches caches = new Caches(namespace, devices, nodes, pods, leases);
        reconciler = new DeviceReconciler(client, namespace, settings.reconcile(), caches, ports, states, queue, services,
                sessions, host, new EventRecorder(client, host.current().hostname(), clock), clock);
        claimKnownPorts(caches);

        sessionWatch = sessions.watch(new Sessions());
        if (adopted != null) {
            // this watch replayed the online sessions: the held one, which kept the states current meanwhile, can go
            closeQuietly(adopted.sessionWatch);
            adopted = null;
        }
        hostWatch = host.onChange(identity -> {
            LOG.info("Host identity is now {} {}: updating every Node's addresses", identity.hostname(), identity.addresses());
            enqueueAll(caches);
        });
        for (int i = 0; i < settings.workers(); i++) {
            workers.execute(this::work);
        }
        long resync = settings.resync().toMillis();
        timer.scheduleAtFixedRate(() -> enqueueAll(caches), resync, resync, TimeUnit.MILLISECONDS);
        long renew = settings.nodeLeaseRenew().toMillis();
        renewers.scheduleWithFixedDelay(this::renewNodeLeases, renew, renew, TimeUnit.MILLISECONDS);
        enqueueAll(caches);
        LOG.info("Reconciling the {} EdgeDevices of namespace '{}'", caches.devices().size(), namespace);
    }

    /** Kubelet ports as they were, oldest device first, so that of two devices claiming one port the older keeps it. */
    private void claimKnownPorts(Caches caches) {
        caches.devices().stream()
                .sorted(Comparator.comparing((EdgeDevice device) -> String.valueOf(device.getMetadata().getCreationTimestamp()))
                        .thenComparing(device -> device.getMetadata().getName()))
                .forEach(device -> {
                    Integer port = reconciler.previousPort(device);
                    if (port != null) {
                        ports.claim(device.getMetadata().getName(), port);
                    }
                });
    }

    private void renewNodeLeases() {
        try {
            reconciler.renewNodeLeases(renewers);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("Renewing node Leases failed", e);
        }
    }

    private static String deviceName(HasMetadata object) {
        var labels = object.getMetadata().getLabels();
        String name = labels == null ? null : labels.get(Aranya.LABEL_NAME);
        return name != null ? name : object.getMetadata().getName();
    }

    private <T extends HasMetadata> ResourceEventHandler<T> enqueue(Function<T, String> key, java.util.function.BiPredicate<T, T> relevant) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T object) {
                queue.add(key.apply(object));
            }

            @Override
            public void onUpdate(T before, T after) {
                if (relevant.test(before, after)) {
                    queue.add(key.apply(after));
                }
            }

            @Override
            public void onDelete(T object, boolean finalStateUnknown) {
                queue.add(key.apply(object));
            }
        };
    }

    private void enqueueAll(Caches caches) {
        caches.devices().forEach(device -> queue.add(device.getMetadata().getName()));
        caches.nodes().forEach(node -> queue.add(deviceName(node)));
        states.names().forEach(queue::add);
    }

    /** Devices whose transport, kubelet endpoints or certificates service came or went get reconciled. */
    void servicesChanged() {
        if (reconciler != null) {
            states.names().forEach(queue::add);
        }
    }

    private void work() {
        try {
            while (true) {
                var next = queue.take();
                if (next.isEmpty()) {
                    return;
                }
                String name = next.get();
                MDC.put(DeviceId.LOG_KEY, namespace + "/" + name);
                long started = System.nanoTime();
                ReconcileMetrics.Outcome outcome = ReconcileMetrics.Outcome.ERROR;
                try {
                    reconciler.reconcile(name);
                    queue.forget(name);
                    outcome = ReconcileMetrics.Outcome.SUCCESS;
                } catch (DeviceReconciler.RetryLater e) {
                    outcome = ReconcileMetrics.Outcome.RETRY;
                    Duration delay = queue.addRateLimited(name);
                    LOG.info("Device {}/{} again in {} ms: {}", namespace, name, delay.toMillis(), e.getMessage());
                } catch (KubernetesClientException e) {
                    Duration delay = queue.addRateLimited(name);
                    if (e.getCode() == 409) {
                        outcome = ReconcileMetrics.Outcome.CONFLICT;
                        // the usual race of a write against the informer's not yet updated copy
                        LOG.debug("Device {}/{} again in {} ms: the cache was behind", namespace, name, delay.toMillis());
                    } else {
                        LOG.warn("Reconciling device {}/{} failed (again in {} ms): {}", namespace, name, delay.toMillis(), e.getMessage());
                    }
                } catch (RuntimeException e) {
                    Duration delay = queue.addRateLimited(name);
                    LOG.warn("Reconciling device {}/{} failed (again in {} ms)", namespace, name, delay.toMillis(), e);
                } finally {
                    metrics.record(outcome, System.nanoTime() - started);
                    queue.done(name);
                    MDC.remove(DeviceId.LOG_KEY);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The devices this leader serves: all of them, and those online per transport. */
    void collect(MetricsWriter writer) {
        Map<String, DeviceState> all = states.all();
        writer.gauge("aranya_devices", "EdgeDevices the leader serves", Map.of("namespace", namespace), all.size());
        Map<String, Long> online = new TreeMap<>();
        all.values().forEach(state -> {
            DeviceSession session = state.session;
            if (session != null) {
                online.merge(session.method(), 1L, Long::sum);
            }
        });
        online.forEach((method, count) -> writer.gauge("aranya_devices_online", "EdgeDevices whose agent is connected",
                Map.of("namespace", namespace, "transport", method), count));
    }

    @Override
    public void close() {
        stopWork(true);
        releaseAll(reconciler, states);
        LOG.info("Stopped reconciling namespace '{}'", namespace);
    }

    /**
     * Stops all work against the cluster (informers, reconciles, node Lease renewals) and keeps serving the devices:
     * their transport registrations, kubelet endpoints and certificates stay, and the sessions of their agents with
     * them.
     *
     * @return what it still serves, to {@link Held#release()} or to hand to the next controller; null if nothing
     */
    Held suspend() {
        stopWork(false);
        if (reconciler == null) {
            // it never served anything of its own: what it was to take over is still held
            return adopted;
        }
        LOG.info("Stopped reconciling namespace '{}'; its {} devices stay served ({} online)", namespace,
                states.names().size(), states.online().size());
        return new Held(reconciler, states, adopted != null ? adopted.sessionWatch : sessionWatch);
    }

    private void stopWork(boolean watchSessions) {
        queue.shutDown();
        if (watchSessions) {
            closeQuietly(sessionWatch);
            if (adopted != null) {
                adopted.release();
            }
        }
        closeQuietly(hostWatch);
        informers.forEach(SharedIndexInformer::stop);
        timer.shutdownNow();
        renewers.shutdownNow();
        workers.shutdownNow();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("Reconciles of namespace '{}' still running after 10 s", namespace);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void releaseAll(DeviceReconciler reconciler, DeviceStates states) {
        if (reconciler != null) {
            states.all().forEach((name, state) -> reconciler.stopServing(new DeviceId(reconciler.namespace(), name), state, false));
        }
    }

    /**
     * The devices a suspended controller still serves, with the session watch that keeps their states current (the
     * work queue it feeds is shut down: it only updates the states).
     */
    static final class Held {
        private final DeviceReconciler reconciler;
        private final DeviceStates states;
        private final AutoCloseable sessionWatch;

        private Held(DeviceReconciler reconciler, DeviceStates states, AutoCloseable sessionWatch) {
            this.reconciler = reconciler;
            this.states = states;
            this.sessionWatch = sessionWatch;
        }

        int devices() {
            return states.names().size();
        }

        /** Stops serving the devices: their agents are disconnected, their kubelet endpoints stopped. */
        void release() {
            closeQuietly(sessionWatch);
            releaseAll(reconciler, states);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.debug("closing {}", closeable, e);
            }
        }
    }

    /** Sessions of this namespace's devices make their Nodes Ready or not. */
    private final class Sessions implements SessionListener {
        @Override
        public void online(DeviceSession session) {
            DeviceId device = session.device();
            if (!namespace.equals(device.namespace())) {
                return;
            }
            DeviceState state = states.get(device.name());
            state.session = session;
            state.offlineAt = null;
            state.offlineReason = null;
            queue.add(device.name());
        }

        @Override
        public void peripheralsReported(DeviceSession session, PeripheralsStatus status) {
            if (namespace.equals(session.device().namespace())) {
                queue.addCoalesced(session.device().name(), PERIPHERALS_REPORT_WINDOW);
            }
        }

        @Override
        public void offline(DeviceId device, String reason) {
            if (!namespace.equals(device.namespace())) {
                return;
            }
            DeviceState state = states.get(device.name());
            state.session = null;
            state.offlineAt = clock.instant();
            state.offlineReason = reason;
            queue.add(device.name());
        }
    }
}
