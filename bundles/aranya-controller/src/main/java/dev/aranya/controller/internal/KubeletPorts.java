package dev.aranya.controller.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * The kubelet ports of the devices, from a configured range: each device keeps the port it had (its EdgeDevice
 * status or its Node tell which), and no port is ever given to two devices.
 */
final class KubeletPorts {
    private final int min;
    private final int max;
    private final Map<String, Integer> byDevice = new HashMap<>();
    private final TreeMap<Integer, String> byPort = new TreeMap<>();

    KubeletPorts(int min, int max) {
        if (min < 1 || max > 65535 || min > max) {
            throw new IllegalArgumentException("kubelet port range " + min + ".." + max + " is not within 1..65535");
        }
        this.min = min;
        this.max = max;
    }

    /**
     * The device's port: the one it holds, else {@code preferred} if it is in the range and free, else the lowest
     * free one.
     *
     * @param preferred the port the device had before (its EdgeDevice status or Node), or null
     * @throws IllegalStateException when every port of the range is taken
     */
    synchronized int claim(String device, Integer preferred) {
        Integer held = byDevice.get(device);
        if (held != null) {
            return held;
        }
        int port;
        if (preferred != null && preferred >= min && preferred <= max && !byPort.containsKey(preferred)) {
            port = preferred;
        } else {
            port = lowestFree();
        }
        byDevice.put(device, port);
        byPort.put(port, device);
        return port;
    }

    private int lowestFree() {
        int candidate = min;
        for (int taken : byPort.subMap(min, true, max, true).keySet()) {
            if (taken != candidate) {
                break;
            }
            candidate++;
        }
        if (candidate > max) {
            throw new IllegalStateException("all " + (max - min + 1) + " kubelet ports " + min + ".." + max
                    + " are taken (dev.aranya.controller/kubeletPortMin, kubeletPortMax)");
        }
        return candidate;
    }

    synchronized OptionalInt portOf(String device) {
        Integer port = byDevice.get(device);
        return port == null ? OptionalInt.empty() : OptionalInt.of(port);
    }

    synchronized void release(String device) {
        Integer port = byDevice.remove(device);
        if (port != null) {
            byPort.remove(port);
        }
    }
}
