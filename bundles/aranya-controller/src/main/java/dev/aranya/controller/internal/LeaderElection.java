package dev.aranya.controller.internal;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election with a {@code coordination.k8s.io/v1} Lease, with client-go's semantics: a candidate takes the
 * Lease when its holder has not renewed it for the lease duration, as measured on the candidate's own clock since
 * it last saw the Lease change (so clocks need not agree); the leader renews every retry period and steps down
 * when it could not renew for the renew deadline, which is shorter than the lease duration, so that it has stopped
 * before anyone else can start. A clean stop releases the Lease, so a standby takes over at once.
 */
final class LeaderElection {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

    /** Told when this instance starts and stops leading; called on the election's thread, must not block long. */
    interface Listener {
        void startedLeading();

        /** @param lost it could not renew the Lease for the renew deadline (else: {@link #stop()}) */
        void stoppedLeading(boolean lost);

        /** A round read the Lease and another instance holds it, while this one does not lead. */
        void anotherLeads(String holder);
    }

    record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        Timing {
            if (renewDeadline.compareTo(leaseDuration) >= 0 || retryPeriod.compareTo(renewDeadline) >= 0) {
                throw new IllegalArgumentException("leader election needs retry period < renew deadline < lease duration, got "
                        + retryPeriod.toSeconds() + " s, " + renewDeadline.toSeconds() + " s, " + leaseDuration.toSeconds() + " s");
            }
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String identity;
    private final Timing timing;
    private final Listener listener;
    private final ScheduledExecutorService executor;
    /** makes the apiserver calls, so that a round waits for one no longer than its deadline (a call may retry for long) */
    private final ExecutorService caller;
    private final Clock clock;

    // touched by the executor's one thread only
    private boolean leading;
    private Instant lastRenewed;
    // touched by the caller's one thread only
    private String observedRecord;
    private Instant observedAt;

    private volatile boolean stopped;
    private Instant failingSince;

    LeaderElection(KubernetesClient client, String namespace, String name, String identity, Timing timing,
                   Listener listener, ScheduledExecutorService executor, Clock clock) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.identity = identity;
        this.timing = timing;
        this.listener = listener;
        this.executor = executor;
        this.caller = Executors.newSingleThreadExecutor(ClientThreads.factory(client, "aranya-election-call-" + namespace));
        this.clock = clock;
    }

    /** What one try found: whether this instance holds the Lease now, else who does (null: nobody, or unknown). */
    record Attempt(boolean holding, String otherHolder) {
    }

    void start() {
        LOG.info("Candidate '{}' for leading namespace '{}' (Lease {}/{})", identity, namespace, namespace, name);
        executor.execute(this::round);
    }

    /**
     * Stops competing: a round in progress is interrupted, a leader stops leading and releases the Lease. Bounded in
     * time even when the apiserver does not answer (a component's deactivation must not hang).
     */
    void stop() throws InterruptedException {
        stopped = true;
        executor.shutdownNow();
        caller.shutdownNow();
        if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
            LOG.warn("The election round of namespace '{}' did not end within 5 s", namespace);
        }
        // the executor is done: its fields are this thread's now
        if (leading) {
            leading = false;
            listener.stoppedLeading(false);
            Thread releasing = ClientThreads.factory(client, "aranya-election-release-" + namespace).newThread(this::release);
            releasing.start();
            releasing.join(timing.retryPeriod().multipliedBy(2).toMillis());
        }
    }

    private void round() {
        if (stopped) {
            return;
        }
        Instant now = clock.instant();
        Attempt attempt = new Attempt(false, null);
        boolean reached = false;
        try {
            attempt = call(now);
            reached = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // stop() interrupts
        } catch (RuntimeException e) {
            // an unreachable apiserver is told once, not every retry period, and without a stack trace
            if (failingSince == null && !stopped) {
                if (unreachable(e)) {
                    LOG.warn("The Kubernetes apiserver is unreachable (Lease {}/{}: {}); retrying every {} s", namespace,
                            name, e.getMessage(), timing.retryPeriod().toSeconds());
                } else {
                    LOG.warn("Lease {}/{} cannot be read or written (retrying every {} s): {}", namespace, name,
                            timing.retryPeriod().toSeconds(), e.getMessage());
                }
                failingSince = now;
            }
        }
        if (failingSince != null && reached) {
            LOG.info("The Kubernetes apiserver is reachable again after {} s (Lease {}/{})",
                    Duration.between(failingSince, now).toSeconds(), namespace, name);
            failingSince = null;
        }
        // the call may have taken long: the renew deadline is checked against the clock as it is now
        Instant after = clock.instant();
        if (attempt.holding()) {
            lastRenewed = now;
            if (!leading) {
                leading = true;
                LOG.info("'{}' leads namespace '{}' now", identity, namespace);
                listener.startedLeading();
            }
        } else if (leading && (lastRenewed == null || !after.isBefore(lastRenewed.plus(timing.renewDeadline())))) {
            leading = false;
            LOG.warn("'{}' could not renew Lease {}/{} for {} s and stops leading namespace '{}'", identity, namespace, name,
                    timing.renewDeadline().toSeconds(), namespace);
            listener.stoppedLeading(true);
        }
        if (!leading && attempt.otherHolder() != null) {
            listener.anotherLeads(attempt.otherHolder());
        }
        if (!stopped) {
            try {
                executor.schedule(this::round, jittered(timing.retryPeriod()).toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // stop() shut the executor down meanwhile
            }
        }
    }

    /**
     * One try, waiting for the apiserver no longer than a leader may go without renewing (a standby: the renew
     * deadline): a leader whose call hangs or retries must still stop leading on time.
     */
    private Attempt call(Instant now) throws InterruptedException {
        Duration wait = leading && lastRenewed != null ? Duration.between(clock.instant(), lastRenewed.plus(timing.renewDeadline()))
                : timing.renewDeadline();
        Future<Attempt> call = caller.submit(() -> tryAcquireOrRenew(now));
        try {
            return call.get(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new KubernetesClientException("no answer within " + Math.max(1, wait.toSeconds()) + " s",
                    new java.net.SocketTimeoutException());
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        }
    }

    /** No answer, or the apiserver answers that it cannot serve (its etcd is gone). */
    static boolean unreachable(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException
                    || cause instanceof KubernetesClientException k && k.getCode() >= 500) {
                return true;
            }
        }
        return false;
    }

    private Duration jittered(Duration period) {
        // standbys spread their attempts a little; the leader keeps its rhythm
        return leading ? period : period.plusMillis((long) (Math.random() * period.toMillis() * 0.2));
    }

    Attempt tryAcquireOrRenew(Instant now) {
        var leases = client.leases().inNamespace(namespace);
        Lease lease = leases.withName(name).get();
        ZonedDateTime time = now.atZone(ZoneOffset.UTC);
        int durationSeconds = (int) timing.leaseDuration().toSeconds();
        if (lease == null) {
            leases.resource(new LeaseBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                    .withNewSpec().withHolderIdentity(identity).withLeaseDurationSeconds(durationSeconds)
                    .withAcquireTime(time).withRenewTime(time).withLeaseTransitions(0).endSpec().build()).create();
            return new Attempt(true, null);
        }
        var spec = lease.getSpec();
        String holder = spec == null ? null : spec.getHolderIdentity();
        String record = holder + "|" + (spec == null ? null : spec.getRenewTime()) + "|" + (spec == null ? null : spec.getLeaseDurationSeconds());
        if (!Objects.equals(record, observedRecord)) {
            observedRecord = record;
            observedAt = now;
        }
        boolean mine = identity.equals(holder);
        if (!mine && holder != null && !holder.isEmpty()) {
            int heldFor = spec.getLeaseDurationSeconds() == null ? durationSeconds : spec.getLeaseDurationSeconds();
            if (now.isBefore(observedAt.plusSeconds(heldFor))) {
                return new Attempt(false, holder);
            }
            LOG.info("Lease {}/{} of '{}' expired: '{}' takes it", namespace, name, holder, identity);
        }
        int transitions = spec == null || spec.getLeaseTransitions() == null ? 0 : spec.getLeaseTransitions();
        Lease updated = new LeaseBuilder(lease).editOrNewSpec().withHolderIdentity(identity)
                .withLeaseDurationSeconds(durationSeconds).withRenewTime(time)
                .withAcquireTime(mine ? spec.getAcquireTime() : time)
                .withLeaseTransitions(mine ? transitions : transitions + 1).endSpec().build();
        // the resourceVersion of what was read makes this a compare-and-swap: of two candidates only one wins
        leases.resource(updated).update();
        return new Attempt(true, null);
    }

    private void release() {
        try {
            var leases = client.leases().inNamespace(namespace);
            Lease lease = leases.withName(name).get();
            if (lease != null && lease.getSpec() != null && identity.equals(lease.getSpec().getHolderIdentity())) {
                ZonedDateTime time = clock.instant().atZone(ZoneOffset.UTC);
                leases.resource(new LeaseBuilder(lease).editSpec().withHolderIdentity(null).withLeaseDurationSeconds(1)
                        .withRenewTime(time).endSpec().build()).update();
                LOG.info("'{}' released Lease {}/{}", identity, namespace, name);
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not release Lease {}/{}: {} (a standby takes over when it expires)", namespace, name, e.toString());
        }
    }
}
