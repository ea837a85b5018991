package dev.aranya.controller.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.model.PeripheralSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The device's virtual pod: a Pod named after the device in its namespace, bound to its Node, that only lives in the
 * cluster (no kubelet runs it; Aranya writes its status). Its containers are the device host ({@code host}) and one
 * per peripheral; {@code kubectl exec/attach/logs/port-forward} on them reach the device.
 */
final class VirtualPods {
    private VirtualPods() {
    }

    static Map<String, String> labels(String namespace, String name) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Aranya.LABEL_ROLE, Names.ROLE_VIRTUAL_POD);
        labels.put(Aranya.LABEL_NAMESPACE, namespace);
        labels.put(Aranya.LABEL_NAME, name);
        return labels;
    }

    static Pod newPod(EdgeDevice device) {
        String namespace = device.getMetadata().getNamespace();
        String name = device.getMetadata().getName();
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels(namespace, name))
                // the EdgeDevice owns it, so the garbage collector removes it even if the finalizer was forced off
                .addNewOwnerReference().withApiVersion(device.getApiVersion()).withKind(device.getKind()).withName(name)
                .withUid(device.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(false).endOwnerReference()
                .endMetadata()
                .withNewSpec().withNodeName(name)
                // it must stay on its Node whatever taints the Node gets (unreachable included)
                .addNewToleration().withOperator("Exists").endToleration()
                .withContainers(containers(device)).withAutomountServiceAccountToken(false).withEnableServiceLinks(false)
                .withTerminationGracePeriodSeconds(0L).endSpec()
                .build();
    }

    static List<Container> containers(EdgeDevice device) {
        List<Container> containers = new ArrayList<>();
        containers.add(new ContainerBuilder().withName(Names.HOST_CONTAINER).withImage(Names.HOST_IMAGE)
                .withImagePullPolicy("IfNotPresent").withStdin(true).withTty(true).build());
        List<PeripheralSpec> peripherals = device.getSpec() == null ? List.of() : device.getSpec().peripherals();
        for (PeripheralSpec peripheral : peripherals) {
            containers.add(new ContainerBuilder().withName(peripheral.name()).withImage(Names.PERIPHERAL_IMAGE)
                    .withImagePullPolicy("IfNotPresent")
                    .withCommand(peripheral.operations().stream().map(PeripheralSpec.Operation::name).toList()).build());
        }
        return containers;
    }

    /** Whether the pod is the device's and has the containers the device's spec asks for (a pod's spec is immutable). */
    static boolean upToDate(Pod pod, EdgeDevice device) {
        if (pod.getSpec() == null || !device.getMetadata().getName().equals(pod.getSpec().getNodeName())) {
            return false;
        }
        List<Container> desired = containers(device);
        List<Container> actual = pod.getSpec().getContainers();
        if (actual == null || actual.size() != desired.size()) {
            return false;
        }
        for (int i = 0; i < desired.size(); i++) {
            Container want = desired.get(i);
            Container have = actual.get(i);
            if (!want.getName().equals(have.getName()) || !want.getImage().equals(have.getImage())
                    || !Objects.equals(want.getCommand(), have.getCommand())) {
                return false;
            }
        }
        return true;
    }

    static boolean ownedBy(Pod pod, String namespace, String name) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels != null && Names.ROLE_VIRTUAL_POD.equals(labels.get(Aranya.LABEL_ROLE))
                && namespace.equals(labels.get(Aranya.LABEL_NAMESPACE)) && name.equals(labels.get(Aranya.LABEL_NAME));
    }

    /**
     * The status the pod should have, or null if it has it: always {@code Running} with running containers (the
     * device host is always there); {@code Ready} while the device's agent is connected, as kubectl can only reach
     * the device then.
     *
     * @param hostIp the Aranya host's address, where the pod's "kubelet" is
     */
    static PodStatus desiredStatus(Pod pod, boolean online, String hostIp, Instant now) {
        PodStatus current = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        String ready = online ? "True" : "False";
        String startedAt = current.getStartTime() != null ? current.getStartTime() : now.toString();
        List<PodCondition> conditions = List.of(
                condition(current, "PodScheduled", "True", null, now),
                condition(current, "Initialized", "True", null, now),
                condition(current, "ContainersReady", ready, online ? null : "EdgeDeviceDisconnected", now),
                condition(current, "Ready", ready, online ? null : "EdgeDeviceDisconnected", now));
        List<ContainerStatus> containers = new ArrayList<>();
        for (Container container : pod.getSpec().getContainers()) {
            String kind = Names.HOST_CONTAINER.equals(container.getName()) ? "host" : "peripheral/" + container.getName();
            ContainerStatus existing = current.getContainerStatuses() == null ? null : current.getContainerStatuses().stream()
                    .filter(status -> container.getName().equals(status.getName())).findFirst().orElse(null);
            String containerStarted = existing != null && existing.getState() != null && existing.getState().getRunning() != null
                    ? existing.getState().getRunning().getStartedAt() : startedAt;
            containers.add(new ContainerStatusBuilder().withName(container.getName()).withImage(container.getImage())
                    .withImageID("virtualimage://" + kind).withContainerID("virtualcontainer://" + kind)
                    .withReady(online).withStarted(true).withRestartCount(0)
                    .withNewState().withNewRunning(containerStarted).endState().build());
        }
        boolean same = "Running".equals(current.getPhase()) && Objects.equals(hostIp, current.getHostIP())
                && sameConditions(conditions, current.getConditions()) && sameContainers(containers, current.getContainerStatuses());
        if (same) {
            return null;
        }
        return new PodStatusBuilder(current).withPhase("Running").withHostIP(hostIp).withStartTime(startedAt)
                .withConditions(conditions).withContainerStatuses(containers).build();
    }

    private static PodCondition condition(PodStatus current, String type, String status, String reason, Instant now) {
        PodCondition existing = current.getConditions() == null ? null : current.getConditions().stream()
                .filter(condition -> type.equals(condition.getType())).findFirst().orElse(null);
        String transition = existing != null && status.equals(existing.getStatus()) && existing.getLastTransitionTime() != null
                ? existing.getLastTransitionTime() : now.toString();
        return new PodConditionBuilder().withType(type).withStatus(status).withReason(reason)
                .withLastTransitionTime(transition).build();
    }

    private static boolean sameConditions(List<PodCondition> desired, List<PodCondition> current) {
        if (current == null) {
            return false;
        }
        // by status only: the node lifecycle controller marks pods of an unready Node not ready with its own reason
        return desired.stream().allMatch(want -> current.stream()
                .anyMatch(have -> want.getType().equals(have.getType()) && want.getStatus().equals(have.getStatus())));
    }

    private static boolean sameContainers(List<ContainerStatus> desired, List<ContainerStatus> current) {
        if (current == null || current.size() != desired.size()) {
            return false;
        }
        return desired.stream().allMatch(want -> current.stream().anyMatch(have -> want.getName().equals(have.getName())
                && Objects.equals(want.getReady(), have.getReady()) && have.getState() != null && have.getState().getRunning() != null));
    }
}
