package dev.aranya.kube.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The namespace of the Pod Aranya runs in, when it runs in one. */
final class ServiceAccountNamespace {
    static final Path FILE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

    private ServiceAccountNamespace() {
    }

    /** @return the namespace, or null outside a Pod */
    static String read() {
        try {
            return Files.isReadable(FILE) ? Files.readString(FILE).trim() : null;
        } catch (IOException e) {
            return null;
        }
    }
}
