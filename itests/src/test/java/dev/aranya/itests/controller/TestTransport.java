package dev.aranya.itests.controller;

import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A transport that records which devices it is asked to serve. */
public final class TestTransport implements DeviceTransport {
    private final String method;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    public TestTransport(String method) {
        this.method = method;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public void register(EdgeDevice device, DeviceConnectionListener listener) {
        registered.add(device.getMetadata().getNamespace() + "/" + device.getMetadata().getName());
    }

    @Override
    public void unregister(DeviceId device) {
        registered.remove(device.toString());
    }

    public Set<String> registered() {
        return Set.copyOf(registered);
    }
}
