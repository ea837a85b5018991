package dev.aranya.itests.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.model.EdgeDevice;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.DistributionProcess;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Aranya processes serve one namespace: one leads, the other stands by; the leader is killed with SIGKILL and
 * the other takes over within 20 s with the same Nodes (no duplicate, none lost) and the same kubelet ports.
 */
@ExtendWith(ControlPlaneExtension.class)
class ControllerFailoverE2E {
    private static final List<String> DEVICES = List.of("ctl-ha-e2e-1", "ctl-ha-e2e-2", "ctl-ha-e2e-3");

    @TempDir
    Path work;

    @Test
    void killedLeaderIsReplacedWithinTwentySecondsWithTheSameNodesAndPorts(ControlPlane controlPlane, TestNamespace namespace)
            throws Exception {
        KubernetesClient kube = namespace.client();
        Map<String, DistributionProcess> instances = new TreeMap<>();
        try {
            for (String identity : List.of("a", "b")) {
                instances.put(identity, DistributionProcess.copy("aranya", work, identity)
                        .configure("dev.aranya.kube", Map.of("kubeconfig", controlPlane.kubeconfig(), "namespace", namespace.name()))
                        .configure("dev.aranya.observability", Map.of("bindAddress", "127.0.0.1", "port", 0))
                        .configure("dev.aranya.controller", Map.of("identity", identity, "kubeletPortMin", 20400,
                                "kubeletPortMax", 20449))
                        .start());
            }
            awaitTrue("a leader", Duration.ofSeconds(90), () -> holder(kube) != null);
            for (String device : DEVICES) {
                controlPlane.kubectl("apiVersion: aranya.arhat.dev/v1alpha1\nkind: EdgeDevice\nmetadata: {name: " + device
                        + "}\nspec: {connectivity: {method: tcp}}\n", "apply", "-n", namespace.name(), "-f", "-").orThrow("creating " + device);
            }
            awaitTrue("Nodes with kubelet ports for every device", Duration.ofSeconds(60), () -> ports(kube).size() == DEVICES.size());
            Map<String, Integer> ports = ports(kube);
            Map<String, String> nodeUids = nodeUids(kube);
            assertThat(ports.values()).doesNotHaveDuplicates().allSatisfy(port -> assertThat(port).isBetween(20400, 20449));

            String leader = holder(kube);
            String standby = leader.equals("a") ? "b" : "a";
            instances.get(leader).kill();
            long killedAt = System.nanoTime();

            awaitTrue("the standby leads", Duration.ofSeconds(25), () -> standby.equals(holder(kube)));
            Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
            System.out.println("Takeover after SIGKILL of the leader: " + takeover.toMillis() + " ms");
            assertThat(takeover).as("takeover after SIGKILL").isLessThanOrEqualTo(Duration.ofSeconds(20));

            // the new leader reconciles: a new device gets a Node and a port none of the others has
            controlPlane.kubectl("apiVersion: aranya.arhat.dev/v1alpha1\nkind: EdgeDevice\nmetadata: {name: ctl-ha-e2e-new}\n"
                    + "spec: {connectivity: {method: tcp}}\n", "apply", "-n", namespace.name(), "-f", "-").orThrow("creating the new device");
            awaitTrue("the new device's Node and port", Duration.ofSeconds(30), () -> ports(kube).size() == DEVICES.size() + 1);
            Map<String, Integer> after = ports(kube);
            assertThat(after).containsAllEntriesOf(ports);
            assertThat(after.values()).doesNotHaveDuplicates();
            assertThat(nodeUids(kube)).containsAllEntriesOf(nodeUids);
            List<Node> nodes = kube.nodes().withLabel("arhat.dev/namespace", namespace.name()).list().getItems();
            assertThat(nodes).hasSize(DEVICES.size() + 1);
            assertThat(instances.get(standby).output()).contains("'" + standby + "' leads namespace '" + namespace.name() + "' now");
        } finally {
            try {
                // a running leader finalizes the devices, so the namespace can go
                kube.resources(EdgeDevice.class).inNamespace(namespace.name()).delete();
                awaitTrue("the devices finalized", Duration.ofSeconds(60),
                        () -> kube.resources(EdgeDevice.class).inNamespace(namespace.name()).list().getItems().isEmpty());
            } finally {
                for (DistributionProcess instance : instances.values()) {
                    instance.stop();
                }
            }
        }
    }

    private static String holder(KubernetesClient kube) {
        Lease lease = kube.leases().withName("aranya-leader").get();
        String holder = lease == null ? null : lease.getSpec().getHolderIdentity();
        return holder == null || holder.isEmpty() ? null : holder;
    }

    /** Device name to kubelet port, for the devices whose Node and status agree on one. */
    private static Map<String, Integer> ports(KubernetesClient kube) {
        return kube.resources(EdgeDevice.class).list().getItems().stream()
                .filter(device -> device.getStatus() != null && device.getStatus().kubeletPort() != null)
                .filter(device -> {
                    Node node = kube.nodes().withName(device.getMetadata().getName()).get();
                    return node != null && node.getStatus() != null && node.getStatus().getDaemonEndpoints() != null
                            && device.getStatus().kubeletPort().equals(node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort());
                })
                .collect(Collectors.toMap(device -> device.getMetadata().getName(), device -> device.getStatus().kubeletPort()));
    }

    private static Map<String, String> nodeUids(KubernetesClient kube) {
        return DEVICES.stream().collect(Collectors.toMap(name -> name, name -> kube.nodes().withName(name).get().getMetadata().getUid()));
    }

    private static void awaitTrue(String what, Duration timeout, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (Boolean.TRUE.equals(condition.get())) {
                    return;
                }
            } catch (RuntimeException e) {
                // the apiserver's answer is awaited like any other
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no " + what + " within " + timeout.toSeconds() + " s");
    }
}
