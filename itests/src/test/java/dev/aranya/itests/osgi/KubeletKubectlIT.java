package dev.aranya.itests.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;

import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.kubelet.KubeletEndpoints;
import dev.aranya.api.kubelet.KubeletEndpoints.KubeletNode;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.itests.support.ClusterCa;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.EchoServer;
import dev.aranya.itests.support.KubectlPortForward;
import dev.aranya.itests.support.LocalDeviceSessions;
import dev.aranya.itests.support.PemNodeCertificates;
import dev.aranya.itests.support.RuntimeBundles;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import javax.net.ssl.HttpsURLConnection;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The kubelet bundle in Felix, serving a device's Node to the real kube-apiserver (which verifies its serving
 * certificate against the cluster CA), driven by the real kubectl: 1.32 speaks WebSocket (passed through by the
 * 1.20 apiserver), 1.27 speaks SPDY. The device is {@link LocalDeviceSessions}: its streams run on this machine.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KubeletKubectlIT {
    private static final Path KUBECTL_WEBSOCKET = Path.of("/usr/bin/kubectl");
    private static final Path KUBECTL_SPDY = Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.27");
    private static final List<Path> KUBECTLS = List.of(KUBECTL_WEBSOCKET, KUBECTL_SPDY);
    private static final String POD = "device-host";
    private static final int BULK_BYTES = 32 << 20;

    /** Set up once for the class: one namespace, Node, Pod and served device. */
    private static String namespace;
    private static LocalDeviceSessions sessions;
    private static int kubeletPort;

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configurationAdmin;

    @Configuration
    public Option[] config() {
        ControlPlane.shared();
        return options(RuntimeBundles.all(),
                // as in KubeClientInFelixIT: fabric8 must not reach this JVM's class path; but JFR's event handler
                // classes, which Netty 4.2's buffer allocators reference, must stay reachable from bundles
                frameworkProperty("felix.bootdelegation.implicit").value("false"),
                frameworkProperty("org.osgi.framework.bootdelegation").value("jdk.jfr,jdk.jfr.*"));
    }

    @Before
    public void serveADevice() throws Exception {
        if (namespace != null) {
            return;
        }
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String ns = "kl-" + suffix;
        String node = "kl-node-" + suffix;
        kubeletPort = freePort();
        ControlPlane controlPlane = ControlPlane.shared();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            controlPlane.kubectl("", "delete", "node", node, "--wait=false");
            controlPlane.kubectl("", "delete", "namespace", ns, "--wait=false");
        }));
        controlPlane.kubectl("", "create", "namespace", ns).orThrow("creating the namespace");
        controlPlane.kubectl("""
                apiVersion: v1
                kind: Node
                metadata: {name: %s}
                spec:
                  taints: [{key: aranya.test/kubelet, effect: NoSchedule}]
                status:
                  addresses: [{type: InternalIP, address: 127.0.0.1}]
                  daemonEndpoints: {kubeletEndpoint: {Port: %d}}
                """.formatted(node, kubeletPort), "create", "-f", "-").orThrow("creating the Node");
        String pod = """
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: %s}
                spec:
                  nodeName: %s
                  tolerations: [{operator: Exists}]
                  containers: [{name: host, image: aranya.dev/virtual-pod, stdin: true}]
                """.formatted(POD, ns, node);
        ControlPlane.Result created = null;
        for (int attempt = 0; attempt < 60; attempt++) {
            // the namespace's default ServiceAccount, which admission wants, appears shortly after the namespace
            created = controlPlane.kubectl(pod, "create", "-f", "-");
            if (created.exitCode() == 0) {
                break;
            }
            Thread.sleep(500);
        }
        created.orThrow("creating the virtual Pod");
        // the controller reports the virtual pod Running; kubectl port-forward refuses a pod that is not
        controlPlane.kubectl("", "-n", ns, "patch", "pod", POD, "--subresource=status", "--type=merge", "-p",
                "{\"status\":{\"phase\":\"Running\"}}").orThrow("marking the virtual Pod Running");

        DeviceId device = new DeviceId(ns, node);
        sessions = new LocalDeviceSessions(device, List.of("line 1", "line 2", "line 3"));
        Hashtable<String, Object> ranking = new Hashtable<>();
        ranking.put(Constants.SERVICE_RANKING, 1000);
        context.registerService(DeviceSessions.class, sessions, ranking);
        context.registerService(NodeCertificates.class,
                PemNodeCertificates.issue(Files.createTempDirectory("kubelet-it"), node), ranking);
        // the doubles outrank the runtime's session and certificate services; the kubelet component binds them
        // when the Kubernetes client, its last reference, appears
        Hashtable<String, Object> kube = new Hashtable<>();
        kube.put("kubeconfig", controlPlane.kubeconfig().toString());
        kube.put("namespace", ns);
        configurationAdmin.getConfiguration("dev.aranya.kube", "?").update(kube);
        waitFor(KubernetesClient.class, "(aranya.namespace=" + ns + ")");
        KubeletEndpoints kubelet = waitFor(KubeletEndpoints.class, null);
        kubelet.serve(new KubeletNode(device, node, POD, kubeletPort));
        awaitTlsHandshake();
        namespace = ns;
    }

    /** The port refuses connections until the kubelet has read the client CA from the cluster. */
    private static void awaitTlsHandshake() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket socket = ClusterCa.clientContext(null).getSocketFactory().createSocket("127.0.0.1", kubeletPort)) {
                ((javax.net.ssl.SSLSocket) socket).startHandshake();
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the kubelet port never completed a TLS handshake", notYet);
                }
                Thread.sleep(500);
            }
        }
    }

    @Test
    public void logsOfTheVirtualPodAreTheDeviceLog() {
        for (Path kubectl : KUBECTLS) {
            assertThat(kubectl(kubectl, null, "logs", POD).orThrow("kubectl logs").stdout())
                    .isEqualTo("line 1\nline 2\nline 3\n");
            assertThat(kubectl(kubectl, null, "logs", "--tail=1", POD).orThrow("kubectl logs --tail").stdout())
                    .isEqualTo("line 3\n");
        }
    }

    @Test
    public void execExitCodeReachesKubectl() {
        for (Path kubectl : KUBECTLS) {
            // -v=4 shows whether kubectl 1.32 fell back from WebSocket to SPDY
            ControlPlane.Result result = kubectl(kubectl, null, "-v=4", "exec", POD, "--", "sh", "-c", "exit 3");
            assertThat(result.exitCode()).as("%s: %s", kubectl, result.stderr()).isEqualTo(3);
            assertThat(result.stderr()).doesNotContain("RemoteCommand fallback");
        }
    }

    @Test
    public void attachReachesTheDeviceShell() {
        for (Path kubectl : KUBECTLS) {
            ControlPlane.Result result = kubectl(kubectl, "echo attached to $0\nexit\n", "attach", "-i", POD);
            assertThat(result.exitCode()).as("%s: %s", kubectl, result.stderr()).isZero();
            assertThat(result.stdout()).contains("attached to sh");
        }
    }

    @Test
    public void execCarriesStdinStdoutAndStderr() {
        for (Path kubectl : KUBECTLS) {
            ControlPlane.Result cat = kubectl(kubectl, "hello from kubectl\n", "exec", "-i", POD, "--", "cat");
            assertThat(cat.exitCode()).as("%s: %s", kubectl, cat.stderr()).isZero();
            assertThat(cat.stdout()).isEqualTo("hello from kubectl\n");

            ControlPlane.Result both = kubectl(kubectl, null, "exec", POD, "--", "sh", "-c", "echo out; echo err >&2");
            assertThat(both.exitCode()).as("%s: %s", kubectl, both.stderr()).isZero();
            assertThat(both.stdout()).isEqualTo("out\n");
            assertThat(both.stderr()).isEqualTo("err\n");
        }
    }

    @Test
    public void execOfAMissingCommandFailsWithItsMessage() {
        for (Path kubectl : KUBECTLS) {
            ControlPlane.Result result = kubectl(kubectl, null, "exec", POD, "--", "/no/such/command");
            assertThat(result.exitCode()).isNotZero();
            assertThat(result.stderr()).as("%s", kubectl).contains("/no/such/command");
        }
    }

    @Test
    public void portForwardReachesAPortOnTheDevice() throws Exception {
        try (EchoServer echo = EchoServer.start()) {
            for (Path kubectl : KUBECTLS) {
                // -v=4 shows whether kubectl 1.32 fell back from WebSocket to SPDY
                try (KubectlPortForward forward = KubectlPortForward.start(kubectl, ControlPlane.shared().kubeconfig(),
                        namespace, POD, echo.port(), "-v=4")) {
                    List<CompletableFuture<String>> connections = new ArrayList<>();
                    for (int i = 0; i < 5; i++) {
                        String message = "message " + i + " through " + kubectl.getFileName();
                        connections.add(CompletableFuture.supplyAsync(() -> roundTrip(forward.localPort(), message)));
                    }
                    for (int i = 0; i < 5; i++) {
                        assertThat(connections.get(i).get(60, TimeUnit.SECONDS))
                                .isEqualTo("message " + i + " through " + kubectl.getFileName());
                    }
                    assertThat(forward.output()).doesNotContain("fallback to secondary dialer");
                }
            }
        }
    }

    @Test
    public void execWithATerminalRunsAndEnds() throws Exception {
        for (Path kubectl : KUBECTLS) {
            // script(1) gives kubectl a real terminal, so it asks for a TTY and sends the terminal size
            String command = kubectl + " --kubeconfig " + ControlPlane.shared().kubeconfig() + " -n " + namespace
                    + " exec -it " + POD + " -- sh -c 'echo tty-ok; exit 4'";
            Process process = new ProcessBuilder("script", "-qec", command, "/dev/null").redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.PIPE).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s: %s", kubectl, output).isTrue();
            assertThat(output).as("%s", kubectl).contains("tty-ok");
            assertThat(process.exitValue()).as("%s: %s", kubectl, output).isEqualTo(4);
        }
    }

    @Test
    public void megabytesThroughExecStdinAndPortForwardArriveIntact() throws Exception {
        Path data = Files.createTempFile("kubelet-it", ".bin");
        byte[] bytes = new byte[BULK_BYTES];
        new java.util.Random(42).nextBytes(bytes);
        Files.write(data, bytes);
        String sha256 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        try (EchoServer echo = EchoServer.start()) {
            for (Path kubectl : KUBECTLS) {
                long start = System.nanoTime();
                Process exec = new ProcessBuilder(kubectl.toString(), "--kubeconfig",
                        ControlPlane.shared().kubeconfig().toString(), "-n", namespace, "exec", "-i", POD, "--",
                        "sha256sum").redirectInput(data.toFile()).redirectErrorStream(true).start();
                String output = new String(exec.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(exec.waitFor(120, TimeUnit.SECONDS)).isTrue();
                assertThat(output).as("%s", kubectl).startsWith(sha256);
                report("exec stdin", kubectl, start);

                try (KubectlPortForward forward = KubectlPortForward.start(kubectl, ControlPlane.shared().kubeconfig(),
                        namespace, POD, echo.port())) {
                    start = System.nanoTime();
                    try (Socket socket = new Socket("127.0.0.1", forward.localPort())) {
                        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                            try {
                                socket.getOutputStream().write(bytes);
                                socket.shutdownOutput();
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
                        byte[] echoed = socket.getInputStream().readAllBytes();
                        sent.get(120, TimeUnit.SECONDS);
                        assertThat(java.util.HexFormat.of().formatHex(
                                java.security.MessageDigest.getInstance("SHA-256").digest(echoed))).isEqualTo(sha256);
                    }
                    report("port-forward echo", kubectl, start);
                }
            }
        } finally {
            Files.delete(data);
        }
    }

    private static void report(String what, Path kubectl, long startNanos) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        System.out.printf("kubelet %s via %s: %d MiB in %.1f s (%.1f MiB/s)%n", what, kubectl.getFileName(),
                BULK_BYTES >> 20, seconds, (BULK_BYTES >> 20) / seconds);
    }

    @Test
    public void followedLogEndsOnTheDeviceWhenKubectlStops() throws Exception {
        for (Path kubectl : KUBECTLS) {
            int cancelled = sessions.cancelledStreams();
            Process follow = new ProcessBuilder(kubectl.toString(), "--kubeconfig",
                    ControlPlane.shared().kubeconfig().toString(), "-n", namespace, "logs", "-f", POD)
                    .redirectErrorStream(true).start();
            BufferedReader output = new BufferedReader(new InputStreamReader(follow.getInputStream(), StandardCharsets.UTF_8));
            assertThat(output.readLine()).isEqualTo("line 1");
            follow.destroy();
            follow.waitFor(10, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (sessions.cancelledStreams() == cancelled && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(sessions.cancelledStreams()).as("%s: the device's log stream was cancelled", kubectl)
                    .isGreaterThan(cancelled);
        }
    }

    @Test
    public void portForwardToAClosedDevicePortSaysWhy() throws Exception {
        int closedPort = freePort();
        for (Path kubectl : KUBECTLS) {
            try (KubectlPortForward forward = KubectlPortForward.start(kubectl, ControlPlane.shared().kubeconfig(),
                    namespace, POD, closedPort)) {
                try (Socket socket = new Socket("127.0.0.1", forward.localPort())) {
                    socket.setSoTimeout(30_000);
                    assertThat(socket.getInputStream().read()).as("the connection ends").isEqualTo(-1);
                }
                forward.awaitOutput("error forwarding port", 20);
                assertThat(forward.output()).as("%s", kubectl)
                        .contains("error forwarding port " + closedPort + " to pod " + POD)
                        .contains("dial tcp 127.0.0.1:" + closedPort);
            }
        }
    }

    @Test
    public void execOnAnOfflineDeviceSaysSo() {
        sessions.online(false);
        try {
            for (Path kubectl : KUBECTLS) {
                ControlPlane.Result result = kubectl(kubectl, null, "exec", POD, "--", "true");
                assertThat(result.exitCode()).isNotZero();
                assertThat(result.stderr()).as("%s", kubectl).contains("the device is offline");
            }
        } finally {
            sessions.online(true);
        }
    }

    @Test
    public void cpCopiesFilesToAndFromTheDevice() throws Exception {
        Path dir = Files.createTempDirectory("kubelet-cp");
        for (Path kubectl : KUBECTLS) {
            Path local = dir.resolve("up-" + kubectl.getFileName());
            Files.writeString(local, "copied with " + kubectl.getFileName() + "\n");
            Path onDevice = dir.resolve("on-device-" + kubectl.getFileName());
            kubectl(kubectl, null, "cp", local.toString(), POD + ":" + onDevice).orThrow("kubectl cp to the pod");
            assertThat(onDevice).hasContent("copied with " + kubectl.getFileName());
            Path back = dir.resolve("back-" + kubectl.getFileName());
            kubectl(kubectl, null, "cp", POD + ":" + onDevice, back.toString()).orThrow("kubectl cp from the pod");
            assertThat(back).hasContent("copied with " + kubectl.getFileName());
        }
    }

    @Test
    public void requestWithoutClientCertificateGets401AndReachesNoDevice() throws Exception {
        int before = sessions.openStreams();
        HttpsURLConnection connection = logsRequest(null);
        assertThat(connection.getResponseCode()).isEqualTo(401);
        assertThat(sessions.openStreams()).isEqualTo(before);
    }

    @Test
    public void clientWithoutRbacGets403WithTheRequestAttributesAndReachesNoDevice() throws Exception {
        int before = sessions.openStreams();
        ClusterCa.Issued nobody = ClusterCa.issue(Files.createTempDirectory("kubelet-it"), "nobody",
                "/O=kl-testers/CN=kl-nobody", "extendedKeyUsage=clientAuth");
        HttpsURLConnection connection = logsRequest(nobody);
        assertThat(connection.getResponseCode()).isEqualTo(403);
        assertThat(new String(connection.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("Forbidden (user=kl-nobody, verb=get, resource=nodes, subresource=proxy)");
        assertThat(sessions.openStreams()).isEqualTo(before);
    }

    /** GET of the pod's log straight at the kubelet port, with the given client certificate or none. */
    private static HttpsURLConnection logsRequest(ClusterCa.Issued client) throws Exception {
        HttpsURLConnection connection = (HttpsURLConnection) new URL("https://127.0.0.1:" + kubeletPort
                + "/containerLogs/" + namespace + "/" + POD + "/host").openConnection();
        connection.setSSLSocketFactory(ClusterCa.clientContext(client).getSocketFactory());
        return connection;
    }

    private static ControlPlane.Result kubectl(Path kubectl, String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of("-n", namespace));
        all.addAll(List.of(args));
        return ControlPlane.shared().kubectlAt(kubectl, stdin, all.toArray(String[]::new));
    }

    private static String roundTrip(int port, String message) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(message.getBytes(StandardCharsets.UTF_8));
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("port-forward round trip failed", e);
        }
    }

    private <T> T waitFor(Class<T> type, String filter) throws Exception {
        String objectClass = "(objectClass=" + type.getName() + ")";
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context,
                context.createFilter(filter == null ? objectClass : "(&" + objectClass + filter + ")"), null);
        tracker.open();
        try {
            T service = tracker.waitForService(30_000);
            assertThat(service).as("%s service", type.getSimpleName()).isNotNull();
            return service;
        } finally {
            // the services used here are singletons that outlive the tracker
            tracker.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
