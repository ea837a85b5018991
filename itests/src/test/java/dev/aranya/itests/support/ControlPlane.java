package dev.aranya.itests.support;

import dev.aranya.api.model.EdgeDevice;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real control plane of the tests: etcd, kube-apiserver and kube-controller-manager on loopback, started by
 * {@code itests/controlplane/controlplane.sh} once per test JVM. One that is already running (a developer's, or
 * an earlier test run's) is reused and left running; one this JVM started is stopped when the JVM exits.
 */
public final class ControlPlane implements AutoCloseable {
    private static ControlPlane shared;

    private final Path script;
    private final Path stateDir;
    private final Map<String, String> environment;

    private ControlPlane(Path script, Path stateDir, Map<String, String> environment) {
        this.script = script;
        this.stateDir = stateDir;
        this.environment = Map.copyOf(environment);
    }

    private static Path script() {
        return Path.of(System.getProperty("aranya.controlplane.script", "itests/controlplane/controlplane.sh"));
    }

    /** Starts the control plane, or attaches to the running one. */
    public static synchronized ControlPlane shared() {
        if (shared == null) {
            Path stateDir = Path.of(System.getProperty("aranya.controlplane.dir",
                    System.getProperty("user.home") + "/.cache/aranya/controlplane"));
            ControlPlane controlPlane = new ControlPlane(script(), stateDir, Map.of());
            boolean running = controlPlane.script("status").exitCode() == 0;
            if (!running) {
                controlPlane.script("build").orThrow("building the control plane");
                controlPlane.script("start").orThrow("starting the control plane");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> controlPlane.script("stop"), "control-plane-stop"));
            }
            shared = controlPlane;
        }
        return shared;
    }

    /**
     * A control plane of the test's own in {@code stateDir}, for tests that stop it or need other settings
     * ({@code ARANYA_CP_*} variables of controlplane.sh, such as {@code ARANYA_CP_SIGNING_DURATION}); {@link #close()}
     * stops it and deletes its state.
     */
    public static ControlPlane dedicated(Path stateDir, Map<String, String> environment) {
        ControlPlane controlPlane = new ControlPlane(script(), stateDir, environment);
        controlPlane.script("build").orThrow("building the control plane");
        controlPlane.start();
        return controlPlane;
    }

    /** Starts the processes again (same ports when still free, same PKI and etcd data); a no-op when running. */
    public void start() {
        script("start").orThrow("starting the control plane in " + stateDir);
    }

    /** Stops etcd, kube-apiserver and kube-controller-manager, keeping their state for {@link #start()}. */
    public void stop() {
        script("stop").orThrow("stopping the control plane in " + stateDir);
    }

    /** A dedicated control plane stops and forgets its state; the shared one stays up for the other tests. */
    @Override
    public void close() {
        if (this != shared) {
            script("stop", "--purge").orThrow("stopping the control plane in " + stateDir);
        }
    }

    public Path kubeconfig() {
        return stateDir.resolve("kubeconfig");
    }

    /** An admin client of the control plane, with the given default namespace. */
    public KubernetesClient client(String namespace) {
        try {
            Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig()), kubeconfig().toString());
            config.setNamespace(namespace);
            return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + kubeconfig(), e);
        }
    }

    /** The cluster CA: it signs the kubelet-serving CSRs, and the apiserver verifies kubelets with it. */
    public X509Certificate clusterCa() {
        try {
            String path = Files.readAllLines(stateDir.resolve("env")).stream().filter(line -> line.startsWith("CA_CERT="))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no CA_CERT in " + stateDir.resolve("env")))
                    .substring("CA_CERT=".length());
            try (InputStream in = Files.newInputStream(Path.of(path))) {
                return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
        } catch (IOException | CertificateException e) {
            throw new IllegalStateException("cannot read the cluster CA of " + stateDir, e);
        }
    }

    /** Applies the EdgeDevice CRD shipped in aranya-api and waits until it is established. */
    public void installEdgeDeviceCrd() {
        try (KubernetesClient client = client("default"); InputStream crd = EdgeDevice.class.getResourceAsStream(EdgeDevice.CRD_RESOURCE)) {
            client.apiextensions().v1().customResourceDefinitions()
                    .resource(Serialization.unmarshal(crd, CustomResourceDefinition.class)).forceConflicts().serverSideApply();
            client.apiextensions().v1().customResourceDefinitions().withName(EdgeDevice.CRD_NAME)
                    .waitUntilCondition(Crds::established, 60, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + EdgeDevice.CRD_RESOURCE, e);
        }
    }

    /** Runs the real kubectl against the control plane, as a user would. */
    public Result kubectl(String stdin, String... args) {
        return kubectlAt(Path.of(System.getProperty("aranya.kubectl", "kubectl")), stdin, args);
    }

    /**
     * Runs kubectl like {@link #kubectl}, again every 0.5 s for up to {@code seconds} while the apiserver cannot dial
     * the Node's kubelet port: as with a kubelet, a Node can turn Ready while its serving certificate is still being
     * signed (or, in a freshly started Aranya, before the apiserver's client CA is loaded). What a user would retry;
     * any other outcome is returned at once.
     */
    public Result kubectlOnceKubeletServes(int seconds, String stdin, String... args) {
        Result[] last = new Result[1];
        return Polling.await("kubectl " + String.join(" ", args) + " reaching the kubelet port", () -> {
            last[0] = kubectl(stdin, args);
            return Optional.of(last[0]).filter(result -> !result.stderr().contains("error dialing backend"));
        }, seconds, () -> last[0] == null ? "" : last[0].stderr());
    }

    /** Runs the given kubectl binary (another version than the default) against the control plane. */
    public Result kubectlAt(Path binary, String stdin, String... args) {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--kubeconfig", kubeconfig().toString()));
        command.addAll(List.of(args));
        return run(command, stdin);
    }

    private Result script(String... args) {
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        command.add(stateDir.toString());
        return run(command, null, environment);
    }

    private static Result run(List<String> command, String stdin) {
        return run(command, stdin, Map.of());
    }

    private static Result run(List<String> command, String stdin, Map<String, String> environment) {
        try {
            // output goes to files, so that neither stream can fill its pipe and stall the process
            Path stdout = Files.createTempFile("aranya-cmd", ".out");
            Path stderr = Files.createTempFile("aranya-cmd", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
                builder.environment().putAll(environment);
                Process process = builder.start();
                if (stdin != null) {
                    process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
                }
                process.getOutputStream().close();
                if (!process.waitFor(15, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("timed out: " + command);
                }
                return new Result(command, process.exitValue(), Files.readString(stdout), Files.readString(stderr));
            } finally {
                Files.deleteIfExists(stdout);
                Files.deleteIfExists(stderr);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, e);
        }
    }

    /** What a command printed and how it ended. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public Result orThrow(String what) {
            if (exitCode != 0) {
                throw new IllegalStateException(what + " failed (exit " + exitCode + "): " + String.join(" ", command)
                        + "\n" + stdout + "\n" + stderr);
            }
            return this;
        }
    }
}
