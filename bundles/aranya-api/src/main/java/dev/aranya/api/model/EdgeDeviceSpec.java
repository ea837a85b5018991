package dev.aranya.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What the user wants of a device.
 *
 * @param connectivity how Aranya and the device's agent reach each other; required
 * @param node         customisation of the Node object
 * @param pod          settings of the pods on the Node
 * @param peripherals  sensors, actuators and other devices attached to the device, each a container of the
 *                     virtual pod
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record EdgeDeviceSpec(ConnectivitySpec connectivity, NodeSpec node, PodSpec pod,
                             List<PeripheralSpec> peripherals) {
    public EdgeDeviceSpec {
        peripherals = peripherals == null ? List.of() : List.copyOf(peripherals);
    }
}
