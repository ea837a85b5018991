/**
 * Aranya's own metrics, served in the Prometheus text format: any bundle contributes by registering a
 * {@link dev.aranya.api.metrics.MetricsSource} service, which is asked for its current values at each scrape.
 */
@Export
@Version("0.1.0")
package dev.aranya.api.metrics;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
