package dev.aranya.itests.e2e;

import dev.aranya.api.transport.DeviceId;
import dev.aranya.itests.support.AranyaMetrics;
import dev.aranya.itests.support.AranyaTransports;
import dev.aranya.itests.support.ArhatAgents;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.DistributionProcess;
import dev.aranya.itests.support.EchoServer;
import dev.aranya.itests.support.KubectlPortForward;
import dev.aranya.itests.support.MosquittoBroker;
import dev.aranya.itests.support.Nodes;
import dev.aranya.itests.support.RoundTrips;
import dev.aranya.itests.support.SimulatedAgents;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a test: the per-transport figures of docs/benchmarks.md ("Transports"), printed as a table. Runs only with
 * {@code -Daranya.benchmark.transports=<simulated devices per transport>} (skipped otherwise, so never in CI):
 *
 * <pre>
 * cd itests && mvn -B -ntp -o verify -Dit.test=TransportsBenchmarkE2E -Dtest=none \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Daranya.benchmark.transports=1000 [-Daranya.benchmark.streams=60] \
 *     [-Daranya.benchmark.execSessions=20]
 * </pre>
 * (0 simulated devices skips that part; {@code streams} is at most the agent's 64 concurrent streams;
 * {@code execSessions}, default 0, runs that many kubectl processes at once.)
 *
 * <p>One Aranya distribution serves all three transports (raw TCP, gRPC, MQTT through a real Mosquitto), as in
 * {@link TransportsE2E}; one arhat distribution per transport is the real agent. Per transport it measures:
 * <ul>
 * <li>connect-to-Ready: from starting the agent's process until its Node is {@code Ready=True} (and until the agent
 * logs that it is connected);</li>
 * <li>exec round trip: {@code kubectl exec <dev> -- true} (a kubectl process each, as an operator pays it) and a
 * line echoed through one {@code kubectl exec -i <dev> -- cat}, median and p95;</li>
 * <li>port-forward: 32 MiB echoed (both ways at once) through {@code kubectl port-forward} to an echo server on the
 * device side, and 64-byte round trips through it;</li>
 * <li>heap per open stream: idle port-forward connections through one {@code kubectl port-forward} held open on the
 * device at once (each proven by a byte echoed), Aranya's heap after a full GC before and after, divided by their
 * number; and optionally concurrent {@code kubectl exec -i -- cat} sessions, each its own connection;</li>
 * <li>heap per connected device: that many more EdgeDevices on the transport, whose agents are
 * {@link SimulatedAgents} in this JVM (the real links and agent session layer): Aranya's heap after GC with the
 * devices registered but offline, and again once all are connected and their Nodes Ready, divided by their
 * number. The registered, offline devices' own cost is printed as well.</li>
 * </ul>
 * Timings are printed, never asserted; a failure means the benchmark could not run.
 */
@EnabledIfSystemProperty(named = "aranya.benchmark.transports", matches = "\\d+")
@ExtendWith(ControlPlaneExtension.class)
class TransportsBenchmarkE2E {
    private static final List<String> METHODS = AranyaTransports.METHODS;
    private static final Path KUBECTL = Path.of("kubectl");
    /** kubectl 1.32 tunnels port-forward's SPDY through a WebSocket, 1.27 speaks SPDY (both: docs/kubelet.md). */
    private static final Map<String, Path> PORT_FORWARD_KUBECTLS = Map.of("1.32", Path.of("/usr/bin/kubectl"),
            "1.27", Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.27"));
    private static final int STREAM_ROUNDS = 3;
    private static final int BULK = 32 << 20;
    private static final int KUBELET_PORTS_FROM = 24000;

    private ControlPlane controlPlane;
    private TestNamespace namespace;
    private KubernetesClient kube;
    private DistributionProcess aranya;
    private final List<String> log = new ArrayList<>();

    /** One transport's figures. */
    private static final class Row {
        double connectedSeconds;
        double readySeconds;
        long[] execTrueMillis;
        long[] execLineMicros;
        final Map<String, Double> forwardMibPerSecond = new java.util.TreeMap<>();
        final Map<String, long[]> forwardMicros = new java.util.TreeMap<>();
        int streams;
        long heapPerStream;
        int execSessions;
        long heapPerExecSession;
        int simulated;
        long heapPerRegisteredDevice;
        long heapPerConnectedDevice;
        long heapPerConnectionVsDisconnected;
        double simulatedConnectSeconds;
        double simulatedReadySeconds;
    }

    @Test
    void benchmark(ControlPlane controlPlane, TestNamespace namespace, @TempDir Path work) throws Exception {
        this.controlPlane = controlPlane;
        this.namespace = namespace;
        this.kube = namespace.client();
        int simulated = Integer.getInteger("aranya.benchmark.transports");
        int streams = Integer.getInteger("aranya.benchmark.streams", 60);
        int execSessions = Integer.getInteger("aranya.benchmark.execSessions", 0);
        String started = LocalDateTime.now().withNano(0) + ", load average " + loadAverage();
        Map<String, Row> rows = new LinkedHashMap<>();
        List<String> nodes = new ArrayList<>();
        List<DistributionProcess> agents = new ArrayList<>();
        try (MosquittoBroker broker = MosquittoBroker.start(work.resolve("mosquitto"));
                EchoServer echo = EchoServer.start()) {
            AranyaTransports transports = AranyaTransports.configure(controlPlane, namespace, work, "bench", broker,
                    Map.of("kubeletPortMin", KUBELET_PORTS_FROM,
                            "kubeletPortMax", KUBELET_PORTS_FROM + 3 * (simulated + 1) + 50));
            aranya = transports.aranya().start();
            AranyaMetrics metrics = new AranyaMetrics(aranya);
            try {
                StringBuilder devices = new StringBuilder();
                for (String method : METHODS) {
                    devices.append(transports.edgeDevice(device(method), method, topicNamespace(device(method))));
                    nodes.add(device(method));
                }
                apply(devices.toString());
                for (String method : METHODS) {
                    await("Node " + device(method) + " registered", 300,
                            () -> Nodes.readyStatus(kube, device(method)).isPresent());
                }

                for (String method : METHODS) {
                    Row row = new Row();
                    rows.put(method, row);
                    connectToReady(transports, method, row, agents, work);
                }
                for (String method : METHODS) {
                    Row row = rows.get(method);
                    execRoundTrips(method, row);
                    portForward(method, row, echo, metrics, streams);
                    if (execSessions > 0) {
                        row.execSessions = execSessions;
                        row.heapPerExecSession = openExecSessions(method, metrics, execSessions);
                    }
                }
                byte[] bytes = payload();
                long start = System.nanoTime();
                EchoServer.roundTrip(echo.port(), bytes);
                double directMibPerSecond = RoundTrips.mebibytesPerSecond(bytes.length, start);
                long directMicros = RoundTrips.median(RoundTrips.socketMicros(echo.port(), 200));

                for (String method : METHODS) {
                    simulatedDevices(transports, metrics, method, simulated, rows.get(method), nodes);
                }
                print(started, rows, directMibPerSecond, directMicros, simulated);
            } finally {
                deleteEdgeDevices();
                for (DistributionProcess agent : agents) {
                    agent.stop();
                }
                aranya.stop();
                for (String node : nodes) {
                    kube.nodes().withName(node).delete();
                }
            }
        }
    }

    /**
     * Deletes the EdgeDevices while Aranya runs, so that it removes their finalizers, Nodes and Leases (with Aranya
     * stopped first, the namespace would stay Terminating).
     */
    private void deleteEdgeDevices() {
        controlPlane.kubectl(null, "-n", namespace.name(), "delete", "edgedevices", "--all", "--wait=false");
        try {
            await("all EdgeDevices deleted", 900, 2000, () -> controlPlane.kubectl(null, "-n", namespace.name(), "get",
                    "edgedevices", "-o", "name").stdout().isBlank());
        } catch (Exception | AssertionError e) {
            System.out.println("transports benchmark: EdgeDevices left behind: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Starts the method's real agent and times it until its Node is Ready. */
    private void connectToReady(AranyaTransports transports, String method, Row row, List<DistributionProcess> agents,
            Path work) throws Exception {
        DistributionProcess agent = ArhatAgents.configure(work, transports.pki(), namespace.name(), device(method),
                method, transports.agentLink(method, topicNamespace(device(method))),
                Map.of("logSource", "file:log/arhat.log"));
        agents.add(agent);
        long start = System.nanoTime();
        agent.start();
        long deadline = start + Duration.ofMinutes(5).toNanos();
        while (row.readySeconds == 0) {
            if (row.connectedSeconds == 0 && agent.output().contains("Connected to Aranya over " + method)) {
                row.connectedSeconds = seconds(start);
            }
            if (Nodes.readyStatus(kube, device(method)).filter("True"::equals).isPresent()) {
                row.readySeconds = seconds(start);
            } else if (System.nanoTime() > deadline) {
                throw new AssertionError("Node " + device(method) + " not Ready in 5 min\n"
                        + DistributionProcess.tail(aranya.output(), 40) + "\n--- agent ---\n"
                        + DistributionProcess.tail(agent.output(), 20));
            } else {
                Thread.sleep(50);
            }
        }
        await("virtual pod " + device(method) + " Running", 120, () -> {
            var pod = kube.pods().withName(device(method)).get();
            return pod != null && pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
        });
        if (row.connectedSeconds == 0) {
            row.connectedSeconds = Double.NaN; // the log line came after Ready was seen: not measured
        }
        progress("%s: agent start → connected %.2f s, → Node Ready %.2f s", method, row.connectedSeconds,
                row.readySeconds);
    }

    private void execRoundTrips(String method, Row row) throws Exception {
        long[] millis = new long[20];
        for (int i = 0; i < millis.length; i++) {
            long start = System.nanoTime();
            controlPlane.kubectl(null, "-n", namespace.name(), "exec", device(method), "--", "true")
                    .orThrow("kubectl exec -- true over " + method);
            millis[i] = (System.nanoTime() - start) / 1_000_000;
        }
        Arrays.sort(millis);
        row.execTrueMillis = millis;
        row.execLineMicros = RoundTrips.execLineMicros(KUBECTL, controlPlane.kubeconfig(), namespace.name(),
                device(method), 200);
        progress("%s: exec true median %d ms; exec line echo median %d µs", method, RoundTrips.median(millis),
                RoundTrips.median(row.execLineMicros));
    }

    /**
     * Port-forward throughput and round trips through each kubectl, then the heap of {@code streams} idle
     * port-forward connections: a first round warms up (buffer pools, caches), then the median of
     * {@value #STREAM_ROUNDS} rounds.
     */
    private void portForward(String method, Row row, EchoServer echo, AranyaMetrics metrics, int streams)
            throws Exception {
        for (Map.Entry<String, Path> kubectl : new java.util.TreeMap<>(PORT_FORWARD_KUBECTLS).entrySet()) {
            if (!Files.isExecutable(kubectl.getValue())) {
                continue;
            }
            try (KubectlPortForward forward = KubectlPortForward.start(kubectl.getValue(), controlPlane.kubeconfig(),
                    namespace.name(), device(method), echo.port())) {
                EchoServer.roundTrip(forward.localPort(), new byte[1024]); // kubectl's tunnel is up
                byte[] bytes = payload();
                long start = System.nanoTime();
                byte[] echoed = EchoServer.roundTrip(forward.localPort(), bytes);
                row.forwardMibPerSecond.put(kubectl.getKey(), RoundTrips.mebibytesPerSecond(bytes.length, start));
                if (!Arrays.equals(echoed, bytes)) {
                    throw new AssertionError("port-forward over " + method + " did not echo the bytes intact");
                }
                row.forwardMicros.put(kubectl.getKey(), RoundTrips.socketMicros(forward.localPort(), 200));
                progress("%s: port-forward via kubectl %s %.1f MiB/s, 64 B round trip median %d µs", method,
                        kubectl.getKey(), row.forwardMibPerSecond.get(kubectl.getKey()),
                        RoundTrips.median(row.forwardMicros.get(kubectl.getKey())));
            }
        }
        try (KubectlPortForward forward = KubectlPortForward.start(KUBECTL, controlPlane.kubeconfig(),
                namespace.name(), device(method), echo.port())) {
            openStreams(method, forward, metrics, streams); // warm-up
            long[] perStream = new long[STREAM_ROUNDS];
            for (int round = 0; round < STREAM_ROUNDS; round++) {
                perStream[round] = openStreams(method, forward, metrics, streams);
            }
            Arrays.sort(perStream);
            row.streams = streams;
            row.heapPerStream = RoundTrips.median(perStream);
            progress("%s: heap per open stream, %d rounds: %s", method, STREAM_ROUNDS,
                    Arrays.stream(perStream).mapToObj(TransportsBenchmarkE2E::bytes).toList());
        }
    }

    /** Opens {@code streams} port-forward connections at once; Aranya's heap per connection; closes them. */
    private long openStreams(String method, KubectlPortForward forward, AranyaMetrics metrics, int streams)
            throws Exception {
        String openStreams = "aranya_open_streams{transport=\"" + method + "\"}";
        await("no open streams over " + method, 60, () -> metrics.value(openStreams) == 0);
        long before = metrics.heapAfterGc();
        List<Socket> connections = new ArrayList<>();
        try {
            for (int i = 0; i < streams; i++) {
                Socket socket = new Socket("127.0.0.1", forward.localPort());
                socket.setSoTimeout(60_000);
                connections.add(socket);
                socket.getOutputStream().write(i);
                InputStream in = socket.getInputStream();
                if (in.read() != (i & 0xff)) {
                    throw new AssertionError("port-forward connection " + i + " over " + method + " broke");
                }
            }
            await(streams + " open streams over " + method, 60, () -> metrics.value(openStreams) == streams);
            long after = metrics.heapAfterGc();
            progress("%s: %d open streams: heap %s → %s", method, streams, bytes(before), bytes(after));
            return (after - before) / streams;
        } finally {
            for (Socket socket : connections) {
                socket.close();
            }
        }
    }

    /**
     * Opens {@code sessions} concurrent {@code kubectl exec -i <dev> -- cat} (each its own kubectl process and its own
     * connection to Aranya's kubelet, each proven open by a line echoed); Aranya's heap per session.
     */
    private long openExecSessions(String method, AranyaMetrics metrics, int sessions) throws Exception {
        String openStreams = "aranya_open_streams{transport=\"" + method + "\"}";
        await("no open streams over " + method, 60, () -> metrics.value(openStreams) == 0);
        long before = metrics.heapAfterGc();
        List<Process> execs = new ArrayList<>();
        try {
            for (int i = 0; i < sessions; i++) {
                Process exec = new ProcessBuilder(KUBECTL.toString(), "--kubeconfig", controlPlane.kubeconfig().toString(),
                        "-n", namespace.name(), "exec", "-i", device(method), "--", "cat")
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                execs.add(exec);
                exec.getOutputStream().write(("session " + i + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                exec.getOutputStream().flush();
                String line = new java.io.BufferedReader(new java.io.InputStreamReader(exec.getInputStream(),
                        java.nio.charset.StandardCharsets.UTF_8)).readLine();
                if (!("session " + i).equals(line)) {
                    throw new AssertionError("exec session " + i + " over " + method + " answered " + line);
                }
            }
            await(sessions + " exec sessions over " + method, 60, () -> metrics.value(openStreams) == sessions);
            long after = metrics.heapAfterGc();
            progress("%s: %d exec sessions: heap %s → %s, %s per session", method, sessions, bytes(before), bytes(after),
                    bytes((after - before) / sessions));
            return (after - before) / sessions;
        } finally {
            for (Process exec : execs) {
                exec.getOutputStream().close();
            }
            for (Process exec : execs) {
                if (!exec.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    exec.destroyForcibly();
                }
            }
        }
    }

    /** {@code count} more EdgeDevices on the method, connected by simulated agents: heap per device and timings. */
    private void simulatedDevices(AranyaTransports transports, AranyaMetrics metrics, String method, int count, Row row,
            List<String> nodes) throws Exception {
        row.simulated = count;
        if (count == 0) {
            return;
        }
        List<String> names = IntStream.range(0, count).mapToObj(i -> "sim-" + method + "-" + i).toList();
        nodes.addAll(names);
        List<Path[]> certificates = method.equals("mqtt") ? null
                : transports.pki().devices(namespace.name(), names);
        long base = metrics.heapAfterGc();
        StringBuilder manifests = new StringBuilder();
        names.forEach(name -> manifests.append(transports.edgeDevice(name, method, topicNamespace(name))));
        apply(manifests.toString());
        await(count + " simulated " + method + " Nodes", 900, 2000,
                () -> countNodes(names, status -> !status.equals("none")) == count);
        int withCertificate = nodeCertificates(metrics, names);
        for (long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                withCertificate < count && System.nanoTime() < deadline; withCertificate = nodeCertificates(metrics, names)) {
            Thread.sleep(2000);
        }
        progress("%s: %d simulated devices registered, %d with a node certificate", method, count, withCertificate);
        long registered = metrics.heapAfterGc();

        List<SimulatedAgents.Agent> simulatedAgents = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, String> link = new java.util.HashMap<>(transports.linkSettings(method, topicNamespace(names.get(i))));
            if (certificates != null) {
                link.put("certificate", certificates.get(i)[0].toString());
                link.put("key", certificates.get(i)[1].toString());
                link.put("caCertificate", transports.pki().ca().toString());
            }
            simulatedAgents.add(new SimulatedAgents.Agent(new DeviceId(namespace.name(), names.get(i)), method, link));
        }
        String sessions = "aranya_sessions{transport=\"" + method + "\"}";
        long connected;
        try (SimulatedAgents agents = new SimulatedAgents()) {
            long start = System.nanoTime();
            agents.connect(simulatedAgents, 8);
            row.simulatedConnectSeconds = seconds(start);
            await(count + " sessions over " + method, 300, () -> metrics.value(sessions) == count + 1);
            await(count + " simulated " + method + " Nodes Ready", 900, 1000,
                    () -> countNodes(names, "True"::equals) == count);
            row.simulatedReadySeconds = seconds(start);
            connected = metrics.heapAfterGc();
        }
        await("the simulated " + method + " agents gone", 300, () -> metrics.value(sessions) == 1);
        long disconnected = metrics.heapAfterGc();
        row.heapPerRegisteredDevice = (registered - base) / count;
        row.heapPerConnectedDevice = (connected - registered) / count;
        row.heapPerConnectionVsDisconnected = (connected - disconnected) / count;
        progress("%s: %d simulated devices: heap %s → %s registered → %s connected and Ready → %s disconnected; "
                        + "connect %.1f s, all Ready %.1f s", method, count, bytes(base), bytes(registered),
                bytes(connected), bytes(disconnected), row.simulatedConnectSeconds, row.simulatedReadySeconds);

        // the next transport's figures start from the same cluster, not from this one's Nodes and Leases on top
        names.forEach(name -> kube.genericKubernetesResources("aranya.arhat.dev/v1alpha1", "EdgeDevice")
                .withName(name).delete());
        await("the simulated " + method + " Nodes removed", 900, 2000,
                () -> countNodes(names, status -> true) == 0);
    }

    /** How many of the devices' Nodes have a serving certificate (Aranya's metric of its expiry). */
    private static int nodeCertificates(AranyaMetrics metrics, List<String> names) throws Exception {
        java.util.Set<String> samples = new java.util.HashSet<>();
        metrics.scrape().lines().filter(line -> line.startsWith("aranya_node_certificate_expiry_timestamp_seconds{"))
                .forEach(samples::add);
        return (int) names.stream().filter(name -> samples.stream()
                .anyMatch(line -> line.contains("node=\"" + name + "\""))).count();
    }

    private long countNodes(List<String> names, java.util.function.Predicate<String> status) {
        java.util.Set<String> wanted = new java.util.HashSet<>(names);
        return kube.nodes().list().getItems().stream().filter(n -> wanted.contains(n.getMetadata().getName()))
                .map(n -> Nodes.readyStatus(n).orElse("none")).filter(status).count();
    }

    private void print(String started, Map<String, Row> rows, double directMibPerSecond, long directMicros,
            int simulated) {
        StringBuilder out = new StringBuilder("\n=== Transports benchmark, started " + started + ", ended load average "
                + loadAverage() + " ===\n");
        out.append(String.format("%-9s | %-13s | %-13s | %-23s | %-23s%n", "transport", "start→conn.", "start→Ready",
                "exec -- true med/p95", "exec line echo med/p95"));
        rows.forEach((method, row) -> out.append(String.format("%-9s | %11.2f s | %11.2f s | %8d / %8d ms | %8s / %8s µs%n",
                method, row.connectedSeconds, row.readySeconds,
                RoundTrips.median(row.execTrueMillis), RoundTrips.quantile(row.execTrueMillis, 0.95),
                RoundTrips.median(row.execLineMicros), RoundTrips.quantile(row.execLineMicros, 0.95))));
        out.append(String.format("%n%-9s | %-7s | %-14s | %-23s%n", "transport", "kubectl", "port-fwd MiB/s",
                "port-fwd 64 B med/p95"));
        rows.forEach((method, row) -> row.forwardMibPerSecond.forEach((kubectl, mib) -> out.append(String.format(
                "%-9s | %-7s | %14.1f | %8d / %8d µs%n", method, kubectl, mib,
                RoundTrips.median(row.forwardMicros.get(kubectl)), RoundTrips.quantile(row.forwardMicros.get(kubectl), 0.95)))));
        out.append(String.format("%-9s | %-7s | %14.1f | %8d µs median%n", "direct", "", directMibPerSecond, directMicros));
        out.append(String.format("%n%-9s | %-18s | %-18s | %-17s | %-19s | %-18s | %-21s | %-19s%n", "transport",
                "heap/port-fwd conn", "heap/exec session", "simulated devices", "heap/registered dev",
                "heap/connected dev", "connected−disconnected", "connect / all Ready"));
        rows.forEach((method, row) -> out.append(String.format("%-9s | %9s (n=%3d) | %9s (n=%3d) | %17d | %19s | %18s | %21s | %6.1f s / %6.1f s%n",
                method, bytes(row.heapPerStream), row.streams, bytes(row.heapPerExecSession), row.execSessions,
                row.simulated, bytes(row.heapPerRegisteredDevice), bytes(row.heapPerConnectedDevice),
                bytes(row.heapPerConnectionVsDisconnected), row.simulatedConnectSeconds, row.simulatedReadySeconds)));
        if (simulated > 0 && simulated != 1000) {
            rows.forEach((method, row) -> out.append(String.format("%s: 1000 devices registered and connected ≈ %s of "
                    + "heap (linear extrapolation from %d)%n", method,
                    bytes((row.heapPerRegisteredDevice + row.heapPerConnectedDevice) * 1000), simulated)));
        }
        out.append("--- progress ---\n");
        log.forEach(line -> out.append(line).append('\n'));
        System.out.println(out);
    }

    private void progress(String format, Object... args) {
        String line = String.format(format, args);
        log.add(line);
        System.out.println("transports benchmark: " + line);
    }

    private void apply(String manifests) {
        controlPlane.kubectl(manifests, "-n", namespace.name(), "apply", "-f", "-").orThrow("kubectl apply EdgeDevices");
    }

    private void await(String what, int seconds, Callable<Boolean> condition) throws Exception {
        await(what, seconds, 250, condition);
    }

    private void await(String what, int seconds, int pollMillis, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + seconds + " s\n"
                        + DistributionProcess.tail(aranya.output(), 60));
            }
            Thread.sleep(pollMillis);
        }
    }

    private static byte[] payload() {
        byte[] bytes = new byte[BULK];
        new Random(5).nextBytes(bytes);
        return bytes;
    }

    private static String device(String method) {
        return "bench-" + method;
    }

    private String topicNamespace(String device) {
        return "aranya/" + namespace.name() + "/" + device;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static String bytes(long bytes) {
        return Math.abs(bytes) >= 10 << 20 ? String.format("%.1f MiB", bytes / 1048576.0)
                : String.format("%.1f KiB", bytes / 1024.0);
    }

    private static String loadAverage() {
        try {
            return String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).split(" "), 3));
        } catch (IOException e) {
            return "unknown";
        }
    }
}
