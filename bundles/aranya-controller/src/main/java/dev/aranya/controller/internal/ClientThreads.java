package dev.aranya.controller.internal;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon threads that talk to the apiserver through fabric8, which resolves classes through the thread context class
 * loader first: theirs is the client bundle's, whatever thread created them.
 */
final class ClientThreads {
    private ClientThreads() {
    }

    static ThreadFactory factory(KubernetesClient client, String prefix) {
        ClassLoader clientLoader = client.getClass().getClassLoader();
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setContextClassLoader(clientLoader);
            thread.setDaemon(true);
            return thread;
        };
    }
}
