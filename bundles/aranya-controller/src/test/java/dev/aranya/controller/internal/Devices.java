package dev.aranya.controller.internal;

import dev.aranya.api.model.EdgeDevice;
import io.fabric8.kubernetes.client.utils.Serialization;

/** EdgeDevices for tests, written as users write them. */
final class Devices {
    private Devices() {
    }

    static EdgeDevice device(String namespace, String name, String spec) {
        EdgeDevice device = Serialization.unmarshal("apiVersion: aranya.arhat.dev/v1alpha1\nkind: EdgeDevice\n"
                + "metadata: {name: " + name + ", namespace: " + namespace + ", uid: uid-" + name + ", generation: 1}\n"
                + "spec: " + spec + "\n", EdgeDevice.class);
        return device;
    }
}
