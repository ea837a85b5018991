package dev.aranya.certs.internal;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/** The threads that make this bundle's API calls and wait (CSR polls are scheduled, not slept). */
final class ClientThreads {
    private ClientThreads() {
    }

    /**
     * fabric8 resolves model classes through the thread context class loader, so these threads carry the client
     * bundle's (a caller's thread may have any, or none).
     */
    static ScheduledExecutorService executor(KubernetesClient client, String name, int threads) {
        AtomicInteger count = new AtomicInteger();
        ClassLoader clientLoader = client.getClass().getClassLoader();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(threads, task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            thread.setContextClassLoader(clientLoader);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }
}
