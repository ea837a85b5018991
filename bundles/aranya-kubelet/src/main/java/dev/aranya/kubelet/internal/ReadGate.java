package dev.aranya.kubelet.internal;

import java.util.HashSet;
import java.util.Set;

/**
 * Stops reading from a client connection while any device stream on it holds client bytes that the device's window
 * did not take yet, and reads again once none does. Event loop only.
 */
final class ReadGate {
    private final io.netty.channel.Channel connection;
    private final Set<Object> holders = new HashSet<>();

    ReadGate(io.netty.channel.Channel connection) {
        this.connection = connection;
    }

    void hold(Object holder) {
        if (holders.add(holder) && holders.size() == 1) {
            connection.config().setAutoRead(false);
        }
    }

    void release(Object holder) {
        if (holders.remove(holder) && holders.isEmpty()) {
            // turning auto-read back on also asks for the next read
            connection.config().setAutoRead(true);
        }
    }
}
