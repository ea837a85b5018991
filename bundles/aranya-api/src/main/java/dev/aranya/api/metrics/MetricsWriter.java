package dev.aranya.api.metrics;

import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;

/** Where a {@link MetricsSource} writes its samples; families with the same name from several sources merge. */
@ProviderType
public interface MetricsWriter {
    /** A value that goes up and down. Names follow Prometheus conventions: {@code aranya_<what>_<unit>}. */
    void gauge(String name, String help, Map<String, String> labels, double value);

    /** A value that only goes up (its name ends in {@code _total}). */
    void counter(String name, String help, Map<String, String> labels, double value);
}
