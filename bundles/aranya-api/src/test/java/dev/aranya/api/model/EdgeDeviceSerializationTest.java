package dev.aranya.api.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

/** The model reads the YAML users write, and writes it back without inventing fields. */
class EdgeDeviceSerializationTest {
    private static final String DEVICE = """
            apiVersion: aranya.arhat.dev/v1alpha1
            kind: EdgeDevice
            metadata:
              name: pi-42
              namespace: edge
            spec:
              connectivity:
                method: mqtt
                backoff: {initialDelay: 1s, maxDelay: 30s, factor: 1.5}
                mqtt:
                  broker: broker.example:8883
                  topicNamespace: devices/pi-42
                  clientID: aranya-pi-42
                  version: "5"
                  userPassRef: {name: mqtt-login}
              node:
                cert: {country: DE, org: acme}
                labels: {site: berlin}
                taints:
                  - {key: dedicated, value: sensors, effect: NoExecute}
              pod:
                allocatable: 3
              peripherals:
                - name: thermometer
                  connector: {method: modbus-tcp, target: "10.1.2.3:502", params: {unit: "1"}}
                  operations:
                    - {name: read, pseudoCommand: read-temp}
                  metrics:
                    - {name: temperature_celsius, valueType: gauge, params: {register: "40001"}}
            """;

    @Test
    void readsEveryField() {
        EdgeDevice device = Serialization.unmarshal(DEVICE, EdgeDevice.class);

        assertThat(device.getMetadata().getName()).isEqualTo("pi-42");
        ConnectivitySpec connectivity = device.getSpec().connectivity();
        assertThat(connectivity.method()).isEqualTo("mqtt");
        assertThat(connectivity.backoff().factor()).isEqualTo(1.5);
        assertThat(connectivity.mqtt().clientID()).isEqualTo("aranya-pi-42");
        assertThat(connectivity.mqtt().version()).isEqualTo("5");
        assertThat(connectivity.mqtt().userPassRef().getName()).isEqualTo("mqtt-login");
        assertThat(device.getSpec().node().cert().country()).isEqualTo("DE");
        assertThat(device.getSpec().node().labels()).containsEntry("site", "berlin");
        assertThat(device.getSpec().node().taints()).singleElement()
                .satisfies(taint -> assertThat(taint.getEffect()).isEqualTo("NoExecute"));
        assertThat(device.getSpec().pod().allocatable()).isEqualTo(3);
        PeripheralSpec thermometer = device.getSpec().peripherals().get(0);
        assertThat(thermometer.connector().target()).isEqualTo("10.1.2.3:502");
        assertThat(thermometer.operations()).extracting(PeripheralSpec.Operation::pseudoCommand).containsExactly("read-temp");
        assertThat(thermometer.metrics().get(0).params()).containsEntry("register", "40001");
    }

    @Test
    void roundTripsWithoutAddingFields() {
        EdgeDevice device = Serialization.unmarshal(DEVICE, EdgeDevice.class);
        String json = Serialization.asJson(device);

        assertThat(Serialization.unmarshal(json, EdgeDevice.class).getSpec()).isEqualTo(device.getSpec());
        assertThat(json).contains("\"clientID\":\"aranya-pi-42\"")
                .doesNotContain("\"grpc\"", "\"tls\"", "\"status\"", "null");
    }

    @Test
    void missingListsAndMapsReadAsEmpty() {
        EdgeDevice device = Serialization.unmarshal("""
                apiVersion: aranya.arhat.dev/v1alpha1
                kind: EdgeDevice
                metadata: {name: bare}
                spec:
                  connectivity: {method: tcp}
                """, EdgeDevice.class);

        assertThat(device.getSpec().peripherals()).isEmpty();
        assertThat(device.getSpec().node()).isNull();
        assertThat(device.getStatus()).isNull();
    }
}
