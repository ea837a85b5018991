package dev.aranya.controller.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.host.HostAddresses.HostIdentity;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.controller.internal.NodeObjects.Health;
import dev.aranya.protocol.v1.NodeInfo;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.Taint;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeObjectsTest {
    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
    private static final NodeInfo INFO = NodeInfo.newBuilder().setHostname("pi").setOs("linux").setArchitecture("arm64")
            .setOsImage("Debian GNU/Linux 12").setKernelVersion("6.1.0").setCpus(4).setMemoryBytes(8L << 30)
            .setDiskBytes(64L << 30).setMachineId("m1").setBootId("b1").setAgentVersion("0.1.0").build();

    private final EdgeDevice device = Devices.device("edge", "pi-1", """
            {connectivity: {method: grpc}, node: {labels: {site: lab, arhat.dev/role: mine}, annotations: {note: hi},
             taints: [{key: dedicated, value: edge, effect: NoSchedule}, {key: arhat.dev/namespace, value: other, effect: NoExecute}]}}""");

    @Test
    void newNodeCarriesLabelsTaintAndProviderId() throws Exception {
        Node node = NodeObjects.newNode(device, INFO);

        assertThat(node.getMetadata().getName()).isEqualTo("pi-1");
        assertThat(node.getMetadata().getLabels()).containsEntry("arhat.dev/role", "Node").containsEntry("arhat.dev/namespace", "edge")
                .containsEntry("arhat.dev/name", "pi-1").containsEntry("kubernetes.io/hostname", "pi-1")
                .containsEntry("kubernetes.io/os", "linux").containsEntry("kubernetes.io/arch", "arm64")
                .containsEntry("beta.kubernetes.io/arch", "arm64").containsEntry("site", "lab");
        assertThat(node.getMetadata().getAnnotations()).containsEntry("note", "hi");
        assertThat(node.getSpec().getTaints()).extracting(Taint::getKey, Taint::getValue, Taint::getEffect)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("arhat.dev/namespace", "edge", "NoSchedule"),
                        org.assertj.core.groups.Tuple.tuple("dedicated", "edge", "NoSchedule"));
        assertThat(node.getSpec().getProviderID()).isEqualTo("aranya://edge/pi-1");
        assertThat(NodeObjects.withDesiredMetadataAndSpec(node, device, INFO)).as("already as desired").isNull();
    }

    @Test
    void othersMarksStayAndWhatTheSpecDroppedGoes() {
        Node node = NodeObjects.newNode(device, INFO);
        Node touched = new NodeBuilder(node).editMetadata().addToLabels("team", "x").endMetadata()
                .editSpec().addNewTaint().withKey("node.kubernetes.io/unreachable").withEffect("NoExecute").endTaint().endSpec().build();
        EdgeDevice changed = Devices.device("edge", "pi-1", "{connectivity: {method: grpc}, node: {labels: {floor: '2'}}}");

        Node updated = NodeObjects.withDesiredMetadataAndSpec(touched, changed, null);

        assertThat(updated.getMetadata().getLabels()).containsEntry("team", "x").containsEntry("floor", "2")
                .doesNotContainKey("site").containsEntry("kubernetes.io/arch", "arm64");
        assertThat(updated.getMetadata().getAnnotations()).doesNotContainKey("note");
        assertThat(updated.getSpec().getTaints()).extracting(Taint::getKey)
                .containsExactly("arhat.dev/namespace", "node.kubernetes.io/unreachable");
    }

    @Test
    void statusTellsReadyOnlyWhileOnlineAndIsNotRewrittenWhenEqual() throws Exception {
        HostIdentity host = new HostIdentity("aranya-host", List.of(InetAddress.getByName("10.0.0.5")));

        NodeStatus online = NodeObjects.desiredStatus(null, host, 10350, INFO, "v1.30.2", 11, Health.ONLINE, null, NOW);
        assertThat(NodeObjects.find(online.getConditions(), "Ready").getStatus()).isEqualTo("True");
        assertThat(online.getAddresses()).extracting(a -> a.getType() + "=" + a.getAddress())
                .containsExactly("InternalIP=10.0.0.5", "Hostname=aranya-host");
        assertThat(online.getDaemonEndpoints().getKubeletEndpoint().getPort()).isEqualTo(10350);
        assertThat(online.getCapacity().get("pods").toString()).isEqualTo("11");
        assertThat(online.getCapacity().get("cpu").toString()).isEqualTo("4");
        assertThat(online.getNodeInfo().getArchitecture()).isEqualTo("arm64");
        assertThat(online.getNodeInfo().getContainerRuntimeVersion()).isEqualTo("arhat://0.1.0");
        assertThat(online.getNodeInfo().getKubeletVersion()).isEqualTo("v1.30.2");

        assertThat(NodeObjects.desiredStatus(online, host, 10350, INFO, "v1.30.2", 11, Health.ONLINE, null, NOW.plusSeconds(30)))
                .as("nothing changed").isNull();
        assertThat(NodeObjects.desiredStatus(online, host, 10350, null, "v1.30.2", 11, Health.LEAVING, "gone", NOW.plusSeconds(30)))
                .as("within the grace Ready stays").isNull();

        NodeStatus offline = NodeObjects.desiredStatus(online, host, 10350, null, "v1.30.2", 11, Health.OFFLINE, "heartbeats missed", NOW.plusSeconds(30));
        assertThat(NodeObjects.find(offline.getConditions(), "Ready")).satisfies(ready -> {
            assertThat(ready.getStatus()).isEqualTo("Unknown");
            assertThat(ready.getReason()).isEqualTo("EdgeDeviceDisconnected");
            assertThat(ready.getMessage()).isEqualTo("heartbeats missed");
        });
        assertThat(offline.getNodeInfo().getArchitecture()).as("kept while offline").isEqualTo("arm64");

        NodeStatus lifecycleControllerSaid = new io.fabric8.kubernetes.api.model.NodeStatusBuilder(offline).editMatchingCondition(c -> "Ready".equals(c.getType()))
                .withReason("NodeStatusUnknown").endCondition().build();
        assertThat(NodeObjects.desiredStatus(lifecycleControllerSaid, host, 10350, null, "v1.30.2", 11, Health.OFFLINE, "x", NOW.plusSeconds(60)))
                .as("Unknown for another reason is not fought over").isNull();
    }
}
