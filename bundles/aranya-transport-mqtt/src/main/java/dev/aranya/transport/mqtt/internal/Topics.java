package dev.aranya.transport.mqtt.internal;

/**
 * A device's topics, as the original aranya laid them out: {@code <ns>/cmd} to the agent, {@code <ns>/msg} from
 * it, {@code <ns>/status} for its retained presence and Last Will.
 *
 * @param namespace the device's topic namespace
 */
record Topics(String namespace) {
    Topics {
        if (namespace == null || namespace.isBlank()) {
            throw new IllegalArgumentException("mqtt.topicNamespace is required (the prefix of the device's topics)");
        }
        if (namespace.contains("+") || namespace.contains("#") || namespace.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("mqtt.topicNamespace '" + namespace
                    + "' must not contain the wildcards + or # (or NUL)");
        }
        if (namespace.endsWith("/")) {
            throw new IllegalArgumentException("mqtt.topicNamespace '" + namespace + "' must not end with /");
        }
    }

    String cmd() {
        return namespace + "/cmd";
    }

    String msg() {
        return namespace + "/msg";
    }

    String status() {
        return namespace + "/status";
    }
}
