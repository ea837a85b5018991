package dev.aranya.api.metrics;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Contributes metrics to Aranya's {@code /metrics} endpoint. Registered as an OSGi service (whiteboard); a bundle
 * that stops takes its metrics with it.
 */
@ConsumerType
public interface MetricsSource {
    /** Writes the current values. Called on each scrape, from the HTTP server's thread: must be quick. */
    void collect(MetricsWriter writer);
}
