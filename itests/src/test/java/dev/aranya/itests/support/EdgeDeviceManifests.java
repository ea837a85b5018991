package dev.aranya.itests.support;

/** EdgeDevice manifests as an operator writes them for {@code kubectl apply -f -}; join several with {@link #all}. */
public final class EdgeDeviceManifests {
    private EdgeDeviceManifests() {
    }

    /** A device served over a transport Aranya listens on (tcp, grpc). */
    public static String served(String name, String method) {
        return """
                apiVersion: aranya.arhat.dev/v1alpha1
                kind: EdgeDevice
                metadata: {name: %s}
                spec: {connectivity: {method: %s}}
                """.formatted(name, method);
    }

    /** A device reached through an MQTT broker under the given topic namespace. */
    public static String mqtt(String name, String broker, String topicNamespace) {
        return """
                apiVersion: aranya.arhat.dev/v1alpha1
                kind: EdgeDevice
                metadata: {name: %s}
                spec:
                  connectivity:
                    method: mqtt
                    mqtt: {broker: "%s", topicNamespace: %s}
                """.formatted(name, broker, topicNamespace);
    }

    public static String all(String... manifests) {
        return String.join("---\n", manifests);
    }
}
