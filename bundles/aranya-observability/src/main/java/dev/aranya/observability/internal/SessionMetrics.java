package dev.aranya.observability.internal;

import dev.aranya.api.metrics.MetricsSource;
import dev.aranya.api.metrics.MetricsWriter;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import java.util.Map;
import java.util.TreeMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Connected devices and open streams, per transport. */
@Component
public final class SessionMetrics implements MetricsSource {
    private final DeviceSessions sessions;

    @Activate
    public SessionMetrics(@Reference DeviceSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public void collect(MetricsWriter writer) {
        Map<String, long[]> byMethod = new TreeMap<>();
        for (DeviceSession session : sessions.all()) {
            long[] counts = byMethod.computeIfAbsent(session.method(), m -> new long[2]);
            counts[0]++;
            counts[1] += session.openStreams();
        }
        byMethod.forEach((method, counts) -> {
            writer.gauge("aranya_sessions", "Devices whose agent is connected", Map.of("transport", method), counts[0]);
            writer.gauge("aranya_open_streams", "Open exec, attach, logs and port-forward streams",
                    Map.of("transport", method), counts[1]);
        });
        if (byMethod.isEmpty()) {
            writer.gauge("aranya_sessions", "Devices whose agent is connected", Map.of(), 0);
        }
    }
}
