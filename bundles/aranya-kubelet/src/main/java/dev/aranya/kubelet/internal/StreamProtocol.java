package dev.aranya.kubelet.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The remote command sub-protocols, newest first (the order a kubelet prefers): how the end is reported (v4 on: a
 * {@code metav1.Status}) and whether a TTY has a resize stream (v3 on). The WebSocket forms add v5 (stdin close)
 * and base64 text variants.
 */
enum StreamProtocol {
    V5_WEBSOCKET("v5.channel.k8s.io", true, true, false),
    V4("v4.channel.k8s.io", true, true, false),
    V4_BASE64("v4.base64.channel.k8s.io", true, true, true),
    V3("v3.channel.k8s.io", false, true, false),
    V2("v2.channel.k8s.io", false, false, false),
    V1("channel.k8s.io", false, false, false),
    V1_BASE64("base64.channel.k8s.io", false, false, true);

    static final List<StreamProtocol> SPDY = List.of(V4, V3, V2, V1);
    static final List<StreamProtocol> WEBSOCKET = List.of(V5_WEBSOCKET, V4, V4_BASE64, V1, V1_BASE64);
    /** The kubelet's channel-pair port-forward over WebSocket (not the SPDY tunnel kubectl uses). */
    static final List<StreamProtocol> PORT_FORWARD_WEBSOCKET = List.of(V4, V4_BASE64, V1, V1_BASE64);

    private final String id;
    private final boolean statusJson;
    private final boolean resize;
    private final boolean base64;

    StreamProtocol(String id, boolean statusJson, boolean resize, boolean base64) {
        this.id = id;
        this.statusJson = statusJson;
        this.resize = resize;
        this.base64 = base64;
    }

    String id() {
        return id;
    }

    boolean statusJson() {
        return statusJson;
    }

    boolean hasResize() {
        return resize;
    }

    boolean base64() {
        return base64;
    }

    /** The first of the client's protocols (in its order) that is among {@code supported}. */
    static Optional<StreamProtocol> negotiate(List<String> clientProtocols, List<StreamProtocol> supported) {
        for (String offered : clientProtocols) {
            Optional<StreamProtocol> match = supported.stream().filter(p -> p.id.equals(offered.trim())).findFirst();
            if (match.isPresent()) {
                return match;
            }
        }
        return Optional.empty();
    }

    static List<String> ids(List<StreamProtocol> protocols) {
        return protocols.stream().map(StreamProtocol::id).toList();
    }

    static List<String> split(List<String> headerValues) {
        return headerValues.stream().flatMap(v -> Arrays.stream(v.split(","))).map(String::trim)
                .filter(v -> !v.isEmpty()).toList();
    }
}
