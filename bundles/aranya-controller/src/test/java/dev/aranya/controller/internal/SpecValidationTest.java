package dev.aranya.controller.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpecValidationTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            valid grpc             | {connectivity: {method: grpc}}                                            |
            valid mqtt             | {connectivity: {method: mqtt, mqtt: {broker: 'b:1883', topicNamespace: t}}} |
            no connectivity        | {node: {labels: {a: b}}}                                                  | spec.connectivity is required
            unknown method         | {connectivity: {method: pigeon}}                                          | spec.connectivity.method 'pigeon' is unknown (one of grpc, mqtt, tcp)
            mqtt without settings  | {connectivity: {method: mqtt}}                                            | spec.connectivity.mqtt is required with method mqtt
            mqtt without broker    | {connectivity: {method: mqtt, mqtt: {topicNamespace: t}}}                 | spec.connectivity.mqtt.broker is required with method mqtt
            duplicate peripheral   | {connectivity: {method: tcp}, peripherals: [{name: a, connector: {method: x}}, {name: a, connector: {method: y}}]} | spec.peripherals: the name 'a' is used twice
            peripheral named host  | {connectivity: {method: tcp}, peripherals: [{name: host, connector: {method: x}}]} | spec.peripherals: 'host' names the device host itself
            bad label key          | {connectivity: {method: tcp}, node: {labels: {'-bad': x}}}                | spec.node.labels: '-bad' is not a valid label key
            bad label value        | {connectivity: {method: tcp}, node: {labels: {site: 'a b'}}}              | spec.node.labels['site']: 'a b' is not a valid label value
            """)
    void problemsNameTheField(String what, String spec, String expected) {
        var problems = SpecValidation.problems(Devices.device("ns", "d", spec).getSpec());

        if (expected == null) {
            assertThat(problems).isEmpty();
        } else {
            assertThat(problems).anySatisfy(problem -> assertThat(problem).startsWith(expected));
        }
    }
}
