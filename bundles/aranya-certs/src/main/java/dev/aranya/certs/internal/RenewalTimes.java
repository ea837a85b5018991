package dev.aranya.certs.internal;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/** When certificates are replaced, and how long to wait after a failure. */
final class RenewalTimes {
    private RenewalTimes() {
    }

    /** The instant {@code percent} of the certificate's lifetime has passed. */
    static Instant renewAt(X509Certificate certificate, int percent) {
        Instant notBefore = certificate.getNotBefore().toInstant();
        Duration lifetime = Duration.between(notBefore, certificate.getNotAfter().toInstant());
        return notBefore.plus(lifetime.multipliedBy(percent).dividedBy(100));
    }

    /** The wait before retry number {@code failures} (1, 2, …): {@code first}, doubled each time, at most {@code max}. */
    static Duration retryDelay(Duration first, Duration max, int failures) {
        int doublings = Math.min(Math.max(failures - 1, 0), 30);
        Duration delay = first.multipliedBy(1L << doublings);
        return delay.compareTo(max) > 0 ? max : delay;
    }
}
