package dev.aranya.arhat.internal;

import dev.aranya.protocol.v1.Frame;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Host streams with test settings, and a helper to open a stream on a recording double. */
final class TestHosts {
    private TestHosts() {
    }

    static HostSettings settings(Map<String, LogSource> logSources) {
        return new HostSettings(Path.of(System.getProperty("java.io.tmpdir")), Duration.ofMillis(500), List.of("/bin/sh", "-i"),
                logSources, Duration.ofSeconds(2), Duration.ofMillis(50));
    }

    static HostStreamsComponent hosts() {
        return new HostStreamsComponent(settings(Map.of()));
    }

    static RecordingStream open(HostStreamsComponent hosts, Frame opening, RecordingStream stream) {
        stream.listener(hosts.open(opening, stream));
        return stream;
    }
}
