package dev.aranya.observability.internal;

import dev.aranya.api.metrics.MetricsSource;
import dev.aranya.api.metrics.MetricsWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/** The JVM's own figures: heap (the per-device memory budget is read off it), threads, uptime. */
@Component
public final class RuntimeMetrics implements MetricsSource {
    @Override
    public void collect(MetricsWriter writer) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        writer.gauge("aranya_jvm_heap_used_bytes", "Heap in use", Map.of(), memory.getHeapMemoryUsage().getUsed());
        writer.gauge("aranya_jvm_heap_max_bytes", "Largest heap the JVM may use", Map.of(),
                memory.getHeapMemoryUsage().getMax());
        writer.gauge("aranya_jvm_threads", "Live threads", Map.of(), ManagementFactory.getThreadMXBean().getThreadCount());
        writer.gauge("aranya_uptime_seconds", "Seconds since the runtime started", Map.of(),
                ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
    }
}
