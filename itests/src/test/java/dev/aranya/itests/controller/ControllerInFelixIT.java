package dev.aranya.itests.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import dev.aranya.api.host.HostAddresses;
import dev.aranya.api.metrics.MetricsSource;
import dev.aranya.api.metrics.MetricsWriter;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.Crds;
import dev.aranya.itests.support.RuntimeBundles;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.PeripheralsStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The controller bundle inside Felix with the runtime's bundles, against the real kube-apiserver and
 * kube-controller-manager. Agents are stood for by a test session registry and a test transport; everything else
 * (client, host addresses, election, informers, Nodes, Leases, pods) is real. Each test gets a fresh framework and
 * namespace; device names start with {@code ctl-} (Nodes are cluster-scoped).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class ControllerInFelixIT {
    private static final String KUBECONFIG = "aranya.it.kubeconfig";
    private static final NodeInfo AGENT = NodeInfo.newBuilder().setHostname("pi").setOs("linux").setArchitecture("arm64")
            .setOsImage("Debian GNU/Linux 12 (bookworm)").setKernelVersion("6.1.0-18-arm64").setCpus(4)
            .setMemoryBytes(4L << 30).setDiskBytes(32L << 30).setMachineId("0123456789abcdef").setBootId("boot-1")
            .setAgentVersion("0.1.0").build();

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configurationAdmin;

    private final String namespace = "it-ctl-" + UUID.randomUUID().toString().substring(0, 6);
    private final String prefix = "ctl-" + UUID.randomUUID().toString().substring(0, 4) + "-";
    private final TestSessions sessions = new TestSessions();
    private final TestTransport grpc = new TestTransport("grpc");
    private KubernetesClient client;
    private ClassLoader testContextClassLoader;
    private final List<ServiceRegistration<?>> registrations = new java.util.ArrayList<>();

    @Configuration
    public Option[] config() {
        String kubeconfig = ControlPlane.shared().kubeconfig().toString();
        boolean shipped;
        try (var jars = java.nio.file.Files.list(RuntimeBundles.runtimeDir().resolve("bundle"))) {
            shipped = jars.anyMatch(jar -> jar.getFileName().toString().startsWith("aranya-controller-"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return options(RuntimeBundles.all(),
                // the controller under test: the runtime's own, or the installed one until the runtime ships it
                shipped ? org.ops4j.pax.exam.CoreOptions.composite()
                        : mavenBundle("dev.aranya", "aranya-controller", System.getProperty("aranya.version", "0.1.0-SNAPSHOT")),
                systemProperty(KUBECONFIG).value(kubeconfig),
                systemProperty("aranya.kubectl").value(System.getProperty("aranya.kubectl", "kubectl")),
                // a loaded machine starts the runtime's hundred bundles slowly
                org.ops4j.pax.exam.CoreOptions.systemTimeout(120_000),
                frameworkProperty("felix.bootdelegation.implicit").value("false"));
    }

    @Before
    public void startController() throws Exception {
        Hashtable<String, Object> kube = new Hashtable<>();
        kube.put("kubeconfig", System.getProperty(KUBECONFIG));
        kube.put("namespace", namespace);
        configurationAdmin.getConfiguration("dev.aranya.kube", "?").update(kube);
        ServiceTracker<KubernetesClient, KubernetesClient> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + KubernetesClient.class.getName() + ")(aranya.namespace=" + namespace + "))"), null);
        tracker.open();
        client = tracker.waitForService(20_000);
        assertThat(client).as("KubernetesClient service").isNotNull();
        // fabric8 resolves classes through the thread context class loader: this thread runs as a bundle's would
        testContextClassLoader = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(client.getClass().getClassLoader());

        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        try (InputStream crd = EdgeDevice.class.getResourceAsStream(EdgeDevice.CRD_RESOURCE)) {
            client.apiextensions().v1().customResourceDefinitions()
                    .resource(Serialization.unmarshal(crd, CustomResourceDefinition.class)).forceConflicts().serverSideApply();
        }
        client.apiextensions().v1().customResourceDefinitions().withName(EdgeDevice.CRD_NAME)
                .waitUntilCondition(Crds::established, 60, TimeUnit.SECONDS);

        Dictionary<String, Object> sessionProperties = ranking();
        sessionProperties.put("aranya.test", "controller");
        registrations.add(context.registerService(DeviceSessions.class, sessions, sessionProperties));
        Dictionary<String, Object> transport = ranking();
        transport.put(DeviceTransport.METHOD_PROPERTY, "grpc");
        registrations.add(context.registerService(DeviceTransport.class, grpc, transport));
        configureController("a");
        awaitTrue("a controller leads namespace " + namespace, Duration.ofSeconds(30), () -> holder() != null);
    }

    private static Dictionary<String, Object> ranking() {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(Constants.SERVICE_RANKING, 1000);
        return properties;
    }

    /** A controller instance (a factory configuration of dev.aranya.controller) with quick timings for the test. */
    private void configureController(String identity) throws Exception {
        Hashtable<String, Object> controller = new Hashtable<>();
        controller.put("identity", identity);
        controller.put("offlineGraceSeconds", 3);
        controller.put("nodeLeaseRenewSeconds", 2);
        controller.put("resyncSeconds", 30);
        // the runtime has a real session registry too: this instance takes the test's
        controller.put("sessions.target", "(aranya.test=controller)");
        configurationAdmin.getFactoryConfiguration("dev.aranya.controller", identity, "?").update(controller);
    }

    @After
    public void cleanUp() throws InterruptedException {
        if (client != null) {
            // the controller still runs and finalizes the devices; what it could not is let go of, so the namespace goes
            client.resources(EdgeDevice.class).inNamespace(namespace).delete();
            try {
                awaitTrue("the devices finalized", Duration.ofSeconds(30),
                        () -> client.resources(EdgeDevice.class).inNamespace(namespace).list().getItems().isEmpty());
            } catch (AssertionError e) {
                client.resources(EdgeDevice.class).inNamespace(namespace).list().getItems().forEach(device -> client
                        .resources(EdgeDevice.class).inNamespace(namespace).withName(device.getMetadata().getName())
                        .edit(d -> {
                            d.getMetadata().setFinalizers(List.of());
                            return d;
                        }));
            }
        }
        registrations.forEach(ServiceRegistration::unregister);
        if (client != null) {
            client.nodes().withLabel("arhat.dev/namespace", namespace).delete();
            client.namespaces().withName(namespace).delete();
            Thread.currentThread().setContextClassLoader(testContextClassLoader);
        }
    }

    @Test
    public void edgeDeviceBecomesNodeAndVirtualPodWhoseHealthFollowsTheAgent() throws Exception {
        String name = prefix + "pi";
        DeviceId id = new DeviceId(namespace, name);
        createDevice(name, "{connectivity: {method: grpc}, node: {labels: {site: lab}, taints: [{key: dedicated, value: edge, effect: NoSchedule}]}}");

        Node node = await("Node " + name, Duration.ofSeconds(30), () -> client.nodes().withName(name).get());
        assertThat(node.getMetadata().getLabels()).containsEntry("arhat.dev/role", "Node").containsEntry("arhat.dev/namespace", namespace)
                .containsEntry("arhat.dev/name", name).containsEntry("kubernetes.io/hostname", name).containsEntry("site", "lab");
        assertThat(node.getSpec().getTaints()).anySatisfy(taint -> {
            assertThat(taint.getKey()).isEqualTo("arhat.dev/namespace");
            assertThat(taint.getValue()).isEqualTo(namespace);
            assertThat(taint.getEffect()).isEqualTo("NoSchedule");
        }).anySatisfy(taint -> assertThat(taint.getKey()).isEqualTo("dedicated"));
        assertThat(node.getSpec().getProviderID()).isEqualTo("aranya://" + namespace + "/" + name);
        HostAddresses.HostIdentity host = context.getService(context.getServiceReference(HostAddresses.class)).current();
        node = await("Node addresses", Duration.ofSeconds(20), () -> {
            Node current = client.nodes().withName(name).get();
            return current.getStatus() != null && current.getStatus().getAddresses() != null
                    && !current.getStatus().getAddresses().isEmpty() ? current : null;
        });
        assertThat(node.getStatus().getAddresses()).extracting(a -> a.getType() + "=" + a.getAddress())
                .contains("Hostname=" + host.hostname(), "InternalIP=" + host.addresses().get(0).getHostAddress());
        int port = await("kubelet port on the Node and in the status", Duration.ofSeconds(20), () -> {
            EdgeDevice device = device(name);
            Node current = client.nodes().withName(name).get();
            return device.getStatus() != null && device.getStatus().kubeletPort() != null && current.getStatus().getDaemonEndpoints() != null
                    && device.getStatus().kubeletPort().equals(current.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort())
                    ? device.getStatus().kubeletPort() : null;
        });
        assertThat(port).isBetween(10350, 12349);
        EdgeDevice device = device(name);
        assertThat(device.getMetadata().getFinalizers()).contains("aranya.arhat.dev/finalizer");
        assertThat(condition(device, "Valid")).isEqualTo("True");
        assertThat(condition(device, "TransportAvailable")).isEqualTo("True");
        assertThat(condition(device, "Connected")).isEqualTo("False");
        assertThat(grpc.registered()).contains(id.toString());

        Pod pod = await("virtual pod Running", Duration.ofSeconds(30), () -> {
            Pod current = client.pods().inNamespace(namespace).withName(name).get();
            return current != null && current.getStatus() != null && "Running".equals(current.getStatus().getPhase()) ? current : null;
        });
        assertThat(pod.getSpec().getNodeName()).isEqualTo(name);
        assertThat(pod.getSpec().getContainers()).extracting(c -> c.getName()).containsExactly("host");
        assertThat(kubectl("get", "pod", "-n", namespace, name, "--no-headers")).contains("Running");

        sessions.bringOnline(id, AGENT);
        awaitTrue("kubectl get nodes shows " + name + " Ready", Duration.ofSeconds(20),
                () -> kubectl("get", "node", name, "--no-headers").matches("(?s)" + name + "\\s+Ready\\s.*"));
        node = client.nodes().withName(name).get();
        assertThat(node.getMetadata().getLabels()).containsEntry("kubernetes.io/arch", "arm64").containsEntry("kubernetes.io/os", "linux");
        assertThat(node.getStatus().getNodeInfo().getOsImage()).isEqualTo("Debian GNU/Linux 12 (bookworm)");
        assertThat(node.getStatus().getCapacity().get("cpu").toString()).isEqualTo("4");
        assertThat(node.getStatus().getCapacity().get("pods").toString()).isEqualTo("11");
        awaitTrue("node Lease renewed", Duration.ofSeconds(10), () -> {
            Lease lease = client.leases().inNamespace("kube-node-lease").withName(name).get();
            return lease != null && lease.getSpec().getRenewTime() != null;
        });
        awaitTrue("EdgeDevice Connected and NodeReady", Duration.ofSeconds(10),
                () -> "True".equals(condition(device(name), "Connected")) && "True".equals(condition(device(name), "NodeReady")));
        awaitTrue("virtual pod Ready", Duration.ofSeconds(10), () -> kubectl("get", "pod", "-n", namespace, name, "--no-headers")
                .matches("(?s)" + name + "\\s+1/1\\s+Running.*"));

        long offlineAt = System.nanoTime();
        sessions.takeOffline(id, "heartbeats missed");
        awaitTrue("Node NotReady after the grace", Duration.ofSeconds(20),
                () -> kubectl("get", "node", name, "--no-headers").matches("(?s)" + name + "\\s+NotReady\\s.*"));
        assertThat(Duration.ofNanos(System.nanoTime() - offlineAt)).as("not before the 3 s grace").isGreaterThanOrEqualTo(Duration.ofSeconds(3));
        NodeCondition ready = readyCondition(client.nodes().withName(name).get());
        assertThat(ready.getStatus()).isEqualTo("Unknown");
        assertThat(ready.getReason()).isEqualTo("EdgeDeviceDisconnected");
        awaitTrue("EdgeDevice Connected=False", Duration.ofSeconds(10), () -> "False".equals(condition(device(name), "Connected")));
        assertThat(kubectl("get", "events", "-n", namespace, "--field-selector", "involvedObject.name=" + name))
                .contains("Connected").contains("Disconnected");

        sessions.bringOnline(id, AGENT);
        awaitTrue("Ready again after reconnecting", Duration.ofSeconds(20),
                () -> kubectl("get", "node", name, "--no-headers").matches("(?s)" + name + "\\s+Ready\\s.*"));

        String nodeUid = client.nodes().withName(name).get().getMetadata().getUid();
        kubectl("delete", "node", name);
        Node recreated = await("Node recreated", Duration.ofSeconds(30), () -> {
            Node current = client.nodes().withName(name).get();
            return current != null && !nodeUid.equals(current.getMetadata().getUid()) ? current : null;
        });
        awaitTrue("recreated Node with the same kubelet port", Duration.ofSeconds(20), () -> {
            Node current = client.nodes().withName(name).get();
            return current.getStatus().getDaemonEndpoints() != null
                    && Integer.valueOf(port).equals(current.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort());
        });
        assertThat(recreated.getSpec().getTaints()).anySatisfy(taint -> assertThat(taint.getKey()).isEqualTo("arhat.dev/namespace"));

        String podUid = client.pods().inNamespace(namespace).withName(name).get().getMetadata().getUid();
        kubectl("delete", "pod", "-n", namespace, name, "--wait=true", "--timeout=30s");
        await("virtual pod recreated and Running", Duration.ofSeconds(30), () -> {
            Pod current = client.pods().inNamespace(namespace).withName(name).get();
            return current != null && !podUid.equals(current.getMetadata().getUid()) && current.getStatus() != null
                    && "Running".equals(current.getStatus().getPhase()) ? current : null;
        });
    }

    @Test
    public void deletingTheEdgeDeviceRemovesExactlyWhatItOwned() throws Exception {
        String name = prefix + "gone";
        String other = prefix + "stays";
        DeviceId id = new DeviceId(namespace, name);
        createDevice(name, "{connectivity: {method: grpc}}");
        createDevice(other, "{connectivity: {method: grpc}}");
        // a Pod of the user's on the device's Node, which is not Aranya's to delete
        client.pods().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata()
                .withName(prefix + "users-pod").endMetadata().withNewSpec().addNewContainer().withName("c").withImage("busybox")
                .endContainer().endSpec().build()).create();
        sessions.bringOnline(id, AGENT);
        awaitTrue("both Nodes, pods and the node Lease", Duration.ofSeconds(40), () -> client.nodes().withName(name).get() != null
                && client.nodes().withName(other).get() != null
                && client.pods().inNamespace(namespace).withName(name).get() != null
                && client.pods().inNamespace(namespace).withName(other).get() != null
                && client.leases().inNamespace("kube-node-lease").withName(name).get() != null);

        kubectl("delete", "edgedevice", "-n", namespace, name, "--wait=true", "--timeout=60s");

        assertThat(client.resources(EdgeDevice.class).inNamespace(namespace).withName(name).get()).isNull();
        awaitTrue("its Node, pod and Lease gone", Duration.ofSeconds(30), () -> client.nodes().withName(name).get() == null
                && client.pods().inNamespace(namespace).withName(name).get() == null
                && client.leases().inNamespace("kube-node-lease").withName(name).get() == null);
        assertThat(client.nodes().withName(other).get()).as("the other device's Node").isNotNull();
        assertThat(client.pods().inNamespace(namespace).withName(other).get()).as("the other device's pod").isNotNull();
        assertThat(client.pods().inNamespace(namespace).withName(prefix + "users-pod").get()).as("the user's pod").isNotNull();
        assertThat(grpc.registered()).doesNotContain(id.toString()).contains(namespace + "/" + other);
        assertThat(sessions.find(id)).as("its agent was disconnected").isEmpty();
    }

    @Test
    public void invalidDevicesGetAConditionAndAnEventWhileTheOthersAreServed() throws Exception {
        String invalid = prefix + "mqtt";
        String taken = prefix + "taken";
        String mqtt = prefix + "mqtt-ok";
        String fine = prefix + "fine";
        // a Node of that name that Aranya does not manage (a real node, or another namespace's device)
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(taken).addToLabels("owner", "someone-else")
                .endMetadata().build()).create();
        try {
            createDevice(invalid, "{connectivity: {method: mqtt}}");
            createDevice(taken, "{connectivity: {method: grpc}}");
            createDevice(mqtt, "{connectivity: {method: mqtt, mqtt: {broker: '127.0.0.1:1883', topicNamespace: t}}}");
            createDevice(fine, "{connectivity: {method: grpc}}");

            awaitTrue("Valid=False InvalidSpec", Duration.ofSeconds(30), () -> "InvalidSpec".equals(reason(device(invalid), "Valid")));
            assertThat(message(device(invalid), "Valid")).contains("spec.connectivity.mqtt is required with method mqtt");
            awaitTrue("Valid=False NodeNameTaken", Duration.ofSeconds(30), () -> "NodeNameTaken".equals(reason(device(taken), "Valid")));
            assertThat(client.nodes().withName(taken).get().getMetadata().getLabels()).as("the foreign Node untouched")
                    .containsEntry("owner", "someone-else").doesNotContainKey("arhat.dev/role");
            await("the valid device's Node", Duration.ofSeconds(30), () -> client.nodes().withName(fine).get());
            assertThat(client.nodes().withName(invalid).get()).isNull();
            awaitTrue("an Event for the invalid spec", Duration.ofSeconds(10),
                    () -> kubectl("get", "events", "-n", namespace, "--field-selector", "involvedObject.name=" + invalid).contains("InvalidSpec"));

            // the real MQTT transport serves it (no broker needed for that); stopping the transport's bundle takes only
            // its devices down, starting it brings them back
            awaitTrue("the mqtt transport serves its device", Duration.ofSeconds(30),
                    () -> "True".equals(condition(device(mqtt), "TransportAvailable")));
            org.osgi.framework.Bundle transport = java.util.Arrays.stream(context.getBundles())
                    .filter(bundle -> "dev.aranya.transport.mqtt".equals(bundle.getSymbolicName())).findFirst().orElseThrow();
            transport.stop();
            awaitTrue("TransportAvailable=False TransportMissing", Duration.ofSeconds(30),
                    () -> "TransportMissing".equals(reason(device(mqtt), "TransportAvailable")));
            assertThat(condition(device(fine), "TransportAvailable")).as("the grpc device is not affected").isEqualTo("True");
            transport.start();
            awaitTrue("the device comes up when its transport is back", Duration.ofSeconds(30),
                    () -> "True".equals(condition(device(mqtt), "TransportAvailable")));
        } finally {
            client.nodes().withName(taken).delete();
        }
    }

    @Test
    public void onlyOneInstanceLeadsAndAStoppedLeaderHandsOverWithTheSameKubeletPorts() throws Exception {
        configureController("b");
        String name = prefix + "ha";
        createDevice(name, "{connectivity: {method: grpc}}");
        int port = await("kubelet port", Duration.ofSeconds(30), () -> {
            EdgeDevice device = device(name);
            return device.getStatus() == null ? null : device.getStatus().kubeletPort();
        });
        String leader = holder();
        assertThat(leader).isIn("a", "b");
        String standby = leader.equals("a") ? "b" : "a";
        Thread.sleep(5_000);
        assertThat(holder()).as("leadership is stable").isEqualTo(leader);

        long stoppedAt = System.nanoTime();
        configurationAdmin.getFactoryConfiguration("dev.aranya.controller", leader, "?").delete();
        awaitTrue("the standby leads", Duration.ofSeconds(20), () -> standby.equals(holder()));
        assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).as("a released Lease is taken at once, not after 15 s")
                .isLessThan(Duration.ofSeconds(10));

        String nodeUid = client.nodes().withName(name).get().getMetadata().getUid();
        Thread.sleep(3_000);
        Node node = client.nodes().withName(name).get();
        assertThat(node.getMetadata().getUid()).as("the same Node, not a new one").isEqualTo(nodeUid);
        assertThat(node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort()).isEqualTo(port);
        assertThat(device(name).getStatus().kubeletPort()).isEqualTo(port);
        assertThat(client.nodes().withLabel("arhat.dev/namespace", namespace).list().getItems()).hasSize(1);
    }

    @Test
    public void anAgentReportingInALoopGetsOneReconcileASecond() throws Exception {
        String name = prefix + "chatty";
        DeviceId id = new DeviceId(namespace, name);
        createDevice(name, "{connectivity: {method: grpc}}");
        sessions.bringOnline(id, AGENT);
        awaitTrue("EdgeDevice Connected", Duration.ofSeconds(30), () -> "True".equals(condition(device(name), "Connected")));
        Thread.sleep(2_000); // the reconciles of coming online are over

        double before = reconciles();
        long start = System.nanoTime();
        int reports = 0;
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4)) {
            sessions.reportPeripherals(id, PeripheralsStatus.getDefaultInstance());
            reports++;
        }
        Thread.sleep(1_500); // the last window's reconcile
        double seconds = (System.nanoTime() - start) / 1e9;
        double reconciled = reconciles() - before;

        assertThat(reports).as("reports sent").isGreaterThan(1_000);
        assertThat(reconciled).as("reconciles for %d reports in %.1f s", reports, seconds)
                .isBetween(1.0, Math.ceil(seconds) + 2);
    }

    /** Reconciles of this test's namespace so far, from the controller's metrics (as /metrics shows them). */
    private double reconciles() throws Exception {
        double[] sum = new double[1];
        MetricsWriter writer = new MetricsWriter() {
            @Override
            public void gauge(String metric, String help, Map<String, String> labels, double value) {
            }

            @Override
            public void counter(String metric, String help, Map<String, String> labels, double value) {
                if (metric.equals("aranya_reconciles_total") && namespace.equals(labels.get("namespace"))) {
                    sum[0] += value;
                }
            }
        };
        for (ServiceReference<MetricsSource> source : context.getServiceReferences(MetricsSource.class, null)) {
            context.getService(source).collect(writer);
            context.ungetService(source);
        }
        return sum[0];
    }

    /**
     * Not a test: the 500-device figures of docs/controller.md. Runs only with {@code -Daranya.benchmark=<devices>}:
     * creates the devices, brings them all online, and prints the time until every Node is Ready, the heap the
     * controller holds per device, and the apiserver's request rate in steady state (the control plane's own
     * counters, so other clients of a shared control plane count too).
     */
    @Test
    public void benchmark() throws Exception {
        int count = Integer.getInteger("aranya.benchmark", 0);
        org.junit.Assume.assumeTrue("only with -Daranya.benchmark=<devices>", count > 0);
        Hashtable<String, Object> defaults = new Hashtable<>();
        defaults.put("identity", "a");
        defaults.put("sessions.target", "(aranya.test=controller)");
        configurationAdmin.getFactoryConfiguration("dev.aranya.controller", "a", "?").update(defaults);
        awaitTrue("leader with the default timings", Duration.ofSeconds(60), () -> "a".equals(holder()));
        long heapBefore = usedHeap();

        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            String name = prefix + "b" + i;
            createDevice(name, "{connectivity: {method: grpc}}");
            sessions.bringOnline(new DeviceId(namespace, name), AGENT);
        }
        long created = System.nanoTime();
        awaitTrue("every Node Ready", Duration.ofMinutes(20), () -> client.nodes().withLabel("arhat.dev/namespace", namespace)
                .list().getItems().stream().filter(node -> "True".equals(readyCondition(node).getStatus())).count() == count);
        long ready = System.nanoTime();
        Thread.sleep(30_000); // let the last status writes settle
        long heapAfter = usedHeap();
        double before = apiserverRequests();
        Thread.sleep(60_000);
        double after = apiserverRequests();
        System.out.printf("BENCHMARK devices=%d created_in=%d_ms all_ready_after=%d_ms heap_per_device=%d_bytes "
                        + "apiserver_requests_per_second_steady=%.1f%n", count, (created - start) / 1_000_000,
                (ready - start) / 1_000_000, (heapAfter - heapBefore) / count, (after - before) / 60);
    }

    private static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /** All requests the apiserver served so far ({@code apiserver_request_total}, every verb and resource). */
    private static double apiserverRequests() {
        return kubectl("get", "--raw", "/metrics").lines().filter(line -> line.startsWith("apiserver_request_total{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    private String holder() {
        Lease lease = client.leases().inNamespace(namespace).withName("aranya-leader").get();
        String holder = lease == null ? null : lease.getSpec().getHolderIdentity();
        return holder == null || holder.isEmpty() ? null : holder;
    }

    private void createDevice(String name, String spec) {
        client.resources(EdgeDevice.class).inNamespace(namespace).resource(Serialization.unmarshal(
                "apiVersion: aranya.arhat.dev/v1alpha1\nkind: EdgeDevice\nmetadata: {name: " + name + "}\nspec: " + spec + "\n",
                EdgeDevice.class)).create();
    }

    private EdgeDevice device(String name) {
        return client.resources(EdgeDevice.class).inNamespace(namespace).withName(name).get();
    }

    private static Condition find(EdgeDevice device, String type) {
        return device == null || device.getStatus() == null ? null
                : device.getStatus().conditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private static String condition(EdgeDevice device, String type) {
        Condition condition = find(device, type);
        return condition == null ? null : condition.getStatus();
    }

    private static String reason(EdgeDevice device, String type) {
        Condition condition = find(device, type);
        return condition == null ? null : condition.getReason();
    }

    private static String message(EdgeDevice device, String type) {
        Condition condition = find(device, type);
        return condition == null ? null : condition.getMessage();
    }

    private static NodeCondition readyCondition(Node node) {
        return node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElseThrow();
    }

    /** The real kubectl, run from inside the framework (the probe bundle carries no support classes it could miss). */
    private static String kubectl(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(System.getProperty("aranya.kubectl"), "--kubeconfig",
                System.getProperty(KUBECONFIG)));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            process.waitFor(60, TimeUnit.SECONDS);
            return output;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void awaitTrue(String what, Duration timeout, Supplier<Boolean> condition) throws InterruptedException {
        await(what, timeout, () -> Boolean.TRUE.equals(condition.get()) ? Boolean.TRUE : null);
    }

    private static <T> T await(String what, Duration timeout, Supplier<T> value) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                T result = value.get();
                if (result != null) {
                    return result;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no " + what + " within " + timeout.toSeconds() + " s", last);
    }
}
