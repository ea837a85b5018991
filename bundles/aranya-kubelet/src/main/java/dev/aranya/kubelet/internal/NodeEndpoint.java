package dev.aranya.kubelet.internal;

import dev.aranya.api.kubelet.KubeletEndpoints.KubeletNode;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import java.time.Duration;
import java.util.Optional;

/** What every connection to one node's kubelet port shares. */
record NodeEndpoint(KubeletNode node, DeviceSessions sessions, KubeletAuth auth, Duration streamCreationTimeout) {

    Optional<DeviceSession> session() {
        return sessions.find(node.device());
    }

    String nodeName() {
        return node.nodeName();
    }
}
