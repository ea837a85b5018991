package dev.aranya.kubelet.internal;

import java.util.List;
import java.util.Map;

/** Who sent a request, as the apiserver's authorizer knows users. */
record KubeletUser(String name, String uid, List<String> groups, Map<String, List<String>> extra) {
    static final String AUTHENTICATED_GROUP = "system:authenticated";

    KubeletUser {
        groups = List.copyOf(groups);
        extra = Map.copyOf(extra);
    }
}
