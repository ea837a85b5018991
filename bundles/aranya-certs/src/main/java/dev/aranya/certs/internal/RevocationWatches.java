package dev.aranya.certs.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.certs.DeviceIdentities;
import dev.aranya.api.transport.DeviceId;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates connected devices use, and whether they are still valid: an informer on the namespace's identity
 * Secrets (started with the first watch, so an Aranya whose transports take no device CA certificates runs none)
 * compares each change of a device's Secret with the certificates its connections presented.
 */
final class RevocationWatches implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RevocationWatches.class);

    private final KubernetesClient client;
    private final String namespace;
    private final Executor executor;
    private final Function<Secret, List<String>> serials;
    /** by identity Secret name */
    private final Map<String, Set<Watch>> watches = new ConcurrentHashMap<>();
    private SharedIndexInformer<Secret> informer;
    private CompletableFuture<Void> synced;

    /**
     * @param executor a thread with the client's context class loader, to start the informer on
     * @param serials  the serials (hex) an identity Secret lists as valid
     */
    RevocationWatches(KubernetesClient client, String namespace, Executor executor, Function<Secret, List<String>> serials) {
        this.client = client;
        this.namespace = namespace;
        this.executor = executor;
        this.serials = serials;
    }

    DeviceIdentities.Watch watch(DeviceId device, String serial, Consumer<String> revoked) {
        String secret = device.name() + DeviceIdentityService.IDENTITY_SUFFIX;
        Watch watch = new Watch(device, serial, revoked);
        watches.computeIfAbsent(secret, name -> ConcurrentHashMap.newKeySet()).add(watch);
        // the Secret may have changed since the certificate was checked: compare once with what the informer holds
        started().thenRun(() -> check(watch, informer.getStore().getByKey(namespace + "/" + secret)));
        return () -> watches.computeIfPresent(secret, (name, set) -> set.remove(watch) && set.isEmpty() ? null : set);
    }

    private synchronized CompletableFuture<Void> started() {
        if (synced == null) {
            synced = CompletableFuture.supplyAsync(() -> {
                SharedIndexInformer<Secret> started = client.secrets().inNamespace(namespace)
                        .withLabel(Aranya.LABEL_ROLE, DeviceIdentityService.ROLE_DEVICE_IDENTITY).runnableInformer(0);
                started.addEventHandler(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Secret secret) {
                        changed(secret.getMetadata().getName(), secret);
                    }

                    @Override
                    public void onUpdate(Secret before, Secret after) {
                        changed(after.getMetadata().getName(), after);
                    }

                    @Override
                    public void onDelete(Secret secret, boolean finalStateUnknown) {
                        // also what the informer reports when the Secret lost its role label: ask for it by name
                        String name = secret.getMetadata().getName();
                        try {
                            executor.execute(() -> changed(name, client.secrets().inNamespace(namespace).withName(name).get()));
                        } catch (RejectedExecutionException stopping) {
                            LOG.debug("Not looking up Secret {}: the device CA is stopping", name);
                        }
                    }
                });
                synchronized (this) {
                    informer = started;
                }
                return started;
            }, executor).thenCompose(started -> started.start()).toCompletableFuture();
            synced.whenComplete((done, failure) -> {
                if (failure != null) {
                    LOG.error("Cannot watch the device identity Secrets of namespace {}: revoking a device does not end "
                            + "its open connections until this works ({})", namespace, failure.getMessage());
                    resetAfterFailure();
                }
            });
        }
        return synced;
    }

    private synchronized void resetAfterFailure() {
        if (informer != null) {
            informer.stop();
            informer = null;
        }
        synced = null; // the next watch tries again
    }

    private void changed(String secretName, Secret secret) {
        Set<Watch> affected = watches.get(secretName);
        if (affected != null) {
            affected.forEach(watch -> check(watch, secret));
        }
    }

    private void check(Watch watch, Secret secret) {
        String reason;
        if (secret == null) {
            reason = "device " + watch.device + " was revoked (its identity Secret " + watch.device.name()
                    + DeviceIdentityService.IDENTITY_SUFFIX + " was deleted)";
        } else if (!serials.apply(secret).contains(watch.serial)) {
            reason = "certificate " + watch.serial + " of device " + watch.device + " was replaced or revoked";
        } else {
            return;
        }
        if (watch.told.compareAndSet(false, true)) {
            LOG.warn("Ending the connection of {}: {}", watch.device, reason);
            try {
                watch.revoked.accept(reason);
            } catch (RuntimeException e) {
                LOG.error("Ending the connection of {} failed", watch.device, e);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (informer != null) {
            informer.stop();
        }
        watches.clear();
    }

    private static final class Watch {
        final DeviceId device;
        final String serial;
        final Consumer<String> revoked;
        final AtomicBoolean told = new AtomicBoolean();

        Watch(DeviceId device, String serial, Consumer<String> revoked) {
            this.device = device;
            this.serial = serial;
            this.revoked = revoked;
        }
    }
}
