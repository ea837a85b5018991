package dev.aranya.controller.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.model.EdgeDevice;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class VirtualPodsTest {
    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
    private final EdgeDevice device = Devices.device("edge", "pi-1", """
            {connectivity: {method: grpc}, peripherals: [{name: led, connector: {method: process}, operations: [{name: "on"}]}]}""");

    @Test
    void podIsBoundToTheNodeToleratesEverythingAndHasTheHostContainer() {
        Pod pod = VirtualPods.newPod(device);

        assertThat(pod.getMetadata().getName()).isEqualTo("pi-1");
        assertThat(pod.getMetadata().getNamespace()).isEqualTo("edge");
        assertThat(pod.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(owner -> assertThat(owner.getKind() + "/" + owner.getName() + "/" + owner.getUid()).isEqualTo("EdgeDevice/pi-1/uid-pi-1"));
        assertThat(pod.getSpec().getNodeName()).isEqualTo("pi-1");
        assertThat(pod.getSpec().getTolerations()).singleElement().satisfies(t -> assertThat(t.getOperator()).isEqualTo("Exists"));
        assertThat(pod.getSpec().getContainers()).extracting(Container::getName, Container::getImage).containsExactly(
                org.assertj.core.groups.Tuple.tuple("host", "virtualimage.arhat.dev/host"),
                org.assertj.core.groups.Tuple.tuple("led", "virtualimage.arhat.dev/peripheral"));
        assertThat(VirtualPods.upToDate(pod, device)).isTrue();
        assertThat(VirtualPods.upToDate(pod, Devices.device("edge", "pi-1", "{connectivity: {method: grpc}}")))
                .as("a peripheral less").isFalse();
    }

    @Test
    void statusIsAlwaysRunningAndReadyOnlyOnline() {
        Pod pod = VirtualPods.newPod(device);

        PodStatus online = VirtualPods.desiredStatus(pod, true, "10.0.0.5", NOW);
        assertThat(online.getPhase()).isEqualTo("Running");
        assertThat(online.getContainerStatuses()).allSatisfy(c -> {
            assertThat(c.getReady()).isTrue();
            assertThat(c.getState().getRunning()).isNotNull();
        });
        Pod running = new PodBuilder(pod).withStatus(online).build();
        assertThat(VirtualPods.desiredStatus(running, true, "10.0.0.5", NOW.plusSeconds(5))).isNull();

        PodStatus offline = VirtualPods.desiredStatus(running, false, "10.0.0.5", NOW.plusSeconds(5));
        assertThat(offline.getPhase()).isEqualTo("Running");
        assertThat(offline.getConditions()).filteredOn(c -> c.getType().equals("Ready")).singleElement()
                .satisfies(c -> assertThat(c.getStatus()).isEqualTo("False"));
        assertThat(offline.getContainerStatuses()).allSatisfy(c -> assertThat(c.getState().getRunning().getStartedAt())
                .isEqualTo(online.getContainerStatuses().get(0).getState().getRunning().getStartedAt()));
    }
}
