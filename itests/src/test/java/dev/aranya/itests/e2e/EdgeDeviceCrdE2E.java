package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.model.EdgeDevice;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The EdgeDevice CRD on a real kube-apiserver, as a user meets it: applied with kubectl, valid devices accepted
 * and read back through the fabric8 model, malformed ones refused with a message that names the field.
 */
@ExtendWith(ControlPlaneExtension.class)
class EdgeDeviceCrdE2E {
    private static final Path CRD = Path.of(System.getProperty("aranya.repo.dir", "."), "docs/crds/edgedevices.aranya.arhat.dev.yaml");

    @BeforeAll
    static void installCrd(ControlPlane controlPlane, TestNamespace namespace) {
        assertThat(CRD).exists();
        controlPlane.kubectl(null, "apply", "-f", CRD.toString()).orThrow("kubectl apply the CRD");
        controlPlane.kubectl(null, "wait", "--for=condition=Established", "--timeout=60s", "crd/" + EdgeDevice.CRD_NAME)
                .orThrow("waiting for the CRD");
    }

    @Test
    void validDeviceIsAcceptedAndReadsBackThroughTheModel(ControlPlane controlPlane, TestNamespace namespace) {
        String device = """
                apiVersion: aranya.arhat.dev/v1alpha1
                kind: EdgeDevice
                metadata:
                  name: pi-valid
                spec:
                  connectivity:
                    method: mqtt
                    mqtt: {broker: "127.0.0.1:1883", topicNamespace: devices/pi-valid, version: "5"}
                  node:
                    labels: {site: lab}
                    taints: [{key: dedicated, value: edge, effect: NoSchedule}]
                  peripherals:
                    - name: led
                      connector: {method: process, target: /usr/bin/true}
                      operations: [{name: "on", pseudoCommand: led-on}]
                      metrics: [{name: toggles_total, valueType: counter}]
                """;
        ControlPlane.Result applied = controlPlane.kubectl(device, "apply", "-n", namespace.name(), "-f", "-");
        assertThat(applied.exitCode()).as(applied.stderr()).isZero();
        assertThat(applied.stdout()).contains("edgedevice.aranya.arhat.dev/pi-valid created");

        EdgeDevice read = namespace.client().resources(EdgeDevice.class).withName("pi-valid").get();
        assertThat(read.getSpec().connectivity().mqtt().topicNamespace()).isEqualTo("devices/pi-valid");
        assertThat(read.getSpec().node().taints()).singleElement().satisfies(t -> assertThat(t.getValue()).isEqualTo("edge"));
        assertThat(read.getSpec().peripherals()).singleElement()
                .satisfies(p -> assertThat(p.operations().get(0).pseudoCommand()).isEqualTo("led-on"));

        assertThat(namespace.client().resources(EdgeDevice.class).list().getItems()).extracting(d -> d.getMetadata().getName())
                .contains("pi-valid");
        ControlPlane.Result listed = controlPlane.kubectl(null, "get", "ed", "-n", namespace.name());
        assertThat(listed.stdout()).contains("CONNECTIVITY").contains("pi-valid").contains("mqtt");
    }

    @Test
    void deviceCreatedThroughTheClientHasItsStatusSubresource(TestNamespace namespace) {
        EdgeDevice device = io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
                apiVersion: aranya.arhat.dev/v1alpha1
                kind: EdgeDevice
                metadata: {name: pi-status}
                spec:
                  connectivity: {method: tcp}
                """, EdgeDevice.class);
        EdgeDevice created = namespace.client().resource(device).create();
        assertThat(created.getStatus()).isNull();

        created.setStatus(new dev.aranya.api.model.EdgeDeviceStatus(null, 1L, "host-a", "pi-status", 10250, "tcp", null));
        EdgeDevice updated = namespace.client().resource(created).updateStatus();

        assertThat(updated.getStatus().kubeletPort()).isEqualTo(10250);
        assertThat(namespace.client().resources(EdgeDevice.class).withName("pi-status").get().getStatus().hostNode())
                .isEqualTo("host-a");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown method          | {connectivity: {method: carrier-pigeon}}                                        | spec.connectivity.method: Unsupported value: "carrier-pigeon"
            mqtt without broker     | {connectivity: {method: mqtt, mqtt: {topicNamespace: t}}}                       | spec.connectivity.mqtt.broker: Required value
            no connectivity         | {node: {labels: {a: b}}}                                                        | spec.connectivity: Required value
            broker without port     | {connectivity: {method: mqtt, mqtt: {broker: 'broker.local', topicNamespace: t}}} | spec.connectivity.mqtt.broker in body should match
            bad duration            | {connectivity: {method: tcp, timers: {unarySessionTimeout: 'soon'}}}            | spec.connectivity.timers.unarySessionTimeout in body should match
            negative allocatable    | {connectivity: {method: tcp}, pod: {allocatable: -1}}                           | spec.pod.allocatable in body should be greater than or equal to 0
            duplicate peripheral    | {connectivity: {method: tcp}, peripherals: [{name: a, connector: {method: x}}, {name: a, connector: {method: y}}]} | Duplicate value
            peripheral named host   | {connectivity: {method: tcp}, peripherals: [{name: host, connector: {method: x}}]} | "spec.peripherals.name" must not validate the schema (not)
            bad taint effect        | {connectivity: {method: tcp}, node: {taints: [{key: k, effect: Sometimes}]}}     | spec.node.taints.effect: Unsupported value: "Sometimes"
            """)
    void malformedDeviceIsRejectedWithAClearMessage(String what, String spec, String expected, ControlPlane controlPlane,
                                                    TestNamespace namespace) {
        String device = "apiVersion: aranya.arhat.dev/v1alpha1\nkind: EdgeDevice\nmetadata: {name: bad}\nspec: " + spec + "\n";

        // --validate=false: the apiserver itself must refuse it, not only kubectl's client-side check
        ControlPlane.Result applied = controlPlane.kubectl(device, "create", "--validate=false", "-n", namespace.name(), "-f", "-");

        assertThat(applied.exitCode()).as("kubectl create of a device with %s", what).isNotZero();
        assertThat(applied.stderr()).contains("The EdgeDevice \"bad\" is invalid").contains(expected);
        assertThat(namespace.client().resources(EdgeDevice.class).withName("bad").get()).isNull();
    }

    @Test
    void crdInDocsIsTheOneShippedInTheBundle() throws Exception {
        try (var shipped = EdgeDevice.class.getResourceAsStream(EdgeDevice.CRD_RESOURCE)) {
            assertThat(Files.readString(CRD)).isEqualTo(new String(shipped.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }
}
