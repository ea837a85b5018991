package dev.aranya.controller.internal;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The leader's {@link DeviceState}s, by device name. */
final class DeviceStates {
    private final Map<String, DeviceState> states = new ConcurrentHashMap<>();
    private final Clock clock;

    DeviceStates(Clock clock) {
        this.clock = clock;
    }

    /**
     * The device's state, new if there is none. A new one counts as just gone offline: an agent that was connected
     * to the former leader gets the offline grace to reconnect before its Node stops being Ready.
     */
    DeviceState get(String name) {
        return states.computeIfAbsent(name, key -> {
            DeviceState state = new DeviceState();
            state.offlineAt = clock.instant();
            return state;
        });
    }

    void remove(String name) {
        states.remove(name);
    }

    Set<String> names() {
        return Set.copyOf(states.keySet());
    }

    Map<String, DeviceState> all() {
        return Map.copyOf(states);
    }

    /** Names of the devices whose agent is connected. */
    List<String> online() {
        return states.entrySet().stream().filter(entry -> entry.getValue().session != null).map(Map.Entry::getKey).toList();
    }
}
