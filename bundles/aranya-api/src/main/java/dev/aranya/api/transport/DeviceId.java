package dev.aranya.api.transport;

import java.util.Objects;

/**
 * A device, named by its EdgeDevice.
 *
 * @param namespace the EdgeDevice's namespace
 * @param name      the EdgeDevice's name, which is also its Node's name
 */
public record DeviceId(String namespace, String name) {
    public DeviceId {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
