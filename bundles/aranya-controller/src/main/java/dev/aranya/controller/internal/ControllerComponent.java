package dev.aranya.controller.internal;

import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.host.HostAddresses;
import dev.aranya.api.kubelet.KubeletEndpoints;
import dev.aranya.api.metrics.MetricsSource;
import dev.aranya.api.metrics.MetricsWriter;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.transport.DeviceTransport;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aranya's controller for the namespace its Kubernetes client serves: competes for leadership of the namespace and,
 * while it leads, runs a {@link DeviceController}. Transports, kubelet endpoints and node certificates may come and
 * go while it runs; the devices they concern are reconciled again when they do.
 */
// immediate: it must compete for leadership from the start, not when its metrics are first read
@Component(service = MetricsSource.class, immediate = true, configurationPid = ControllerConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ControllerConfig.class)
public final class ControllerComponent implements LeaderElection.Listener, MetricsSource {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerComponent.class);
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration START_RETRY = Duration.ofSeconds(5);

    private final BoundServices services = new BoundServices();
    private final ReconcileMetrics metrics = new ReconcileMetrics();
    private final KubernetesClient client;
    private final DeviceSessions sessions;
    private final HostAddresses host;
    private final String namespace;
    private final DeviceController.Settings settings;
    private final LeaderElection election;
    /** starts and stops the leader's DeviceController, in order, off the election's thread */
    private final ScheduledExecutorService leadershipThread;
    private final Duration outageHold;
    // written by the leadership thread only
    private volatile DeviceController running;
    private volatile boolean leading;
    /** the devices a controller that lost the lead still serves, and when they are let go */
    private DeviceController.Held held;
    private ScheduledFuture<?> holdExpiry;

    @Activate
    public ControllerComponent(@Reference(name = "client") KubernetesClient client,
                               @Reference(name = "sessions") DeviceSessions sessions,
                               @Reference(name = "host") HostAddresses host, ControllerConfig config) {
        this.client = client;
        this.sessions = sessions;
        this.host = host;
        this.namespace = client.getNamespace();
        this.settings = settings(config);
        this.outageHold = Duration.ofSeconds(config.outageHoldSeconds());
        String identity = config.identity().isBlank() ? hostname() + "-" + UUID.randomUUID().toString().substring(0, 8) : config.identity();
        LeaderElection.Timing timing = new LeaderElection.Timing(Duration.ofSeconds(config.electionLeaseDurationSeconds()),
                Duration.ofSeconds(config.electionRenewDeadlineSeconds()), Duration.ofSeconds(config.electionRetryPeriodSeconds()));
        ScheduledExecutorService electionThread = Executors.newSingleThreadScheduledExecutor(ClientThreads.factory(client, "aranya-election-" + namespace));
        ScheduledThreadPoolExecutor leadership = new ScheduledThreadPoolExecutor(1, ClientThreads.factory(client, "aranya-leadership-" + namespace));
        // a start retry still waiting when the component goes must not hold up its deactivation
        leadership.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.leadershipThread = leadership;
        this.election = new LeaderElection(client, namespace, config.electionLeaseName(), identity, timing, this,
                electionThread, Clock.systemUTC());
        election.start();
    }

    static DeviceController.Settings settings(ControllerConfig config) {
        if (config.kubeletPortMin() > config.kubeletPortMax()) {
            throw new IllegalArgumentException("dev.aranya.controller: kubeletPortMin " + config.kubeletPortMin()
                    + " is above kubeletPortMax " + config.kubeletPortMax());
        }
        return new DeviceController.Settings(
                new DeviceReconciler.Settings(Duration.ofSeconds(config.offlineGraceSeconds()), config.defaultPodAllocatable(),
                        config.nodeLeaseDurationSeconds(), Duration.ofSeconds(config.lastSeenRefreshSeconds()),
                        config.kubeletVersion().trim()),
                config.kubeletPortMin(), config.kubeletPortMax(), config.workers(), Duration.ofSeconds(config.resyncSeconds()),
                Duration.ofSeconds(config.nodeLeaseRenewSeconds()), config.reconcilesPerSecond(), config.reconcileBurst(),
                Duration.ofMillis(config.retryBaseMillis()), Duration.ofSeconds(config.retryMaxSeconds()));
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "aranya";
        }
    }

    @Override
    public void startedLeading() {
        leading = true;
        leadershipThread.execute(this::startController);
    }

    @Override
    public void stoppedLeading(boolean lost) {
        leading = false;
        // on the election's thread until done: the Lease is released (or lost) only after this instance stopped acting
        try {
            leadershipThread.submit(() -> stopController(lost)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("Stopping the controller of namespace '{}' did not complete: {}", namespace, e.toString());
        }
    }

    @Override
    public void anotherLeads(String holder) {
        try {
            leadershipThread.execute(() -> releaseHeld("'" + holder + "' leads namespace '" + namespace + "' now"));
        } catch (RejectedExecutionException deactivated) {
            // nothing is held after deactivation
        }
    }

    @Override
    public void collect(MetricsWriter writer) {
        writer.gauge("aranya_leader", "1 while this instance leads the namespace", Map.of("namespace", namespace),
                leading ? 1 : 0);
        metrics.collect(namespace, writer);
        DeviceController controller = running;
        if (controller != null) {
            controller.collect(writer);
        }
    }

    private void startController() {
        if (!leading || running != null) {
            return;
        }
        DeviceController controller = new DeviceController(client, namespace, settings, services, sessions, host, metrics,
                Clock.systemUTC(), held);
        try {
            controller.start(SYNC_TIMEOUT);
            running = controller;
            if (held != null) {
                LOG.info("Leads namespace '{}' again and takes back the {} devices it kept serving", namespace, held.devices());
                held = null;
                // no expiry is armed when what it took over came from a start that failed while leading
                if (holdExpiry != null) {
                    holdExpiry.cancel(false);
                    holdExpiry = null;
                }
            }
        } catch (Exception e) {
            // what it held stays held (and expires as planned): the agents need not reconnect for a failed start
            held = controller.suspend();
            LOG.warn("Could not start reconciling namespace '{}' (again in {} s): {}", namespace, START_RETRY.toSeconds(), e.toString());
            leadershipThread.schedule(this::startController, START_RETRY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** @param lost leadership was lost, not given up: the devices stay served for the outage hold */
    private void stopController(boolean lost) {
        boolean keep = lost && !outageHold.isZero();
        if (running != null) {
            if (keep) {
                held = running.suspend();
            } else {
                running.close();
            }
            running = null;
        }
        if (!keep) {
            releaseHeld("this instance stops");
        } else if (held != null && holdExpiry == null) {
            LOG.warn("Namespace '{}': the {} devices stay connected for up to {} s without any write to the cluster; "
                    + "they are taken back when this instance leads again, let go when another one does",
                    namespace, held.devices(), outageHold.toSeconds());
            holdExpiry = leadershipThread.schedule(() -> releaseHeld("not leading again within " + outageHold.toSeconds() + " s"),
                    outageHold.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void releaseHeld(String why) {
        if (holdExpiry != null) {
            holdExpiry.cancel(false);
            holdExpiry = null;
        }
        if (held != null) {
            LOG.warn("Namespace '{}': {}; the {} devices kept connected are let go (their agents reconnect to the leader)",
                    namespace, why, held.devices());
            held.release();
            held = null;
        }
    }

    private void servicesChanged() {
        try {
            leadershipThread.execute(() -> {
                if (running != null) {
                    running.servicesChanged();
                }
            });
        } catch (RejectedExecutionException deactivated) {
            // SCR unbinds the dynamic references after deactivation: nothing runs any more to tell
        }
    }

    @Reference(service = DeviceTransport.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindTransport(DeviceTransport transport, Map<String, Object> properties) {
        String method = method(transport, properties);
        services.bindTransport(method, transport);
        LOG.info("Transport '{}' available", method);
        servicesChanged();
    }

    void unbindTransport(DeviceTransport transport, Map<String, Object> properties) {
        String method = method(transport, properties);
        if (services.unbindTransport(method, transport)) {
            LOG.info("Transport '{}' gone: its devices go offline until it is back", method);
            servicesChanged();
        }
    }

    private static String method(DeviceTransport transport, Map<String, Object> properties) {
        Object method = properties.get(DeviceTransport.METHOD_PROPERTY);
        return method != null ? method.toString() : transport.method();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindKubelet(KubeletEndpoints kubelet) {
        services.kubelet(kubelet);
        servicesChanged();
    }

    void unbindKubelet(KubeletEndpoints kubelet) {
        if (services.kubelet().orElse(null) == kubelet) {
            services.kubelet(null);
            servicesChanged();
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindCertificates(NodeCertificates certificates) {
        services.certificates(certificates);
        servicesChanged();
    }

    void unbindCertificates(NodeCertificates certificates) {
        if (services.certificates().orElse(null) == certificates) {
            services.certificates(null);
            servicesChanged();
        }
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        election.stop();
        leadershipThread.submit(() -> stopController(false));
        leadershipThread.shutdown();
        if (!leadershipThread.awaitTermination(30, TimeUnit.SECONDS)) {
            leadershipThread.shutdownNow();
        }
    }
}
