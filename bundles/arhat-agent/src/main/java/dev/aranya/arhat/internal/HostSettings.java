package dev.aranya.arhat.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How the agent does host work.
 *
 * @param workingDirectory   where exec and attach processes start
 * @param killGrace          how long a cancelled process has after SIGTERM before SIGKILL
 * @param attachShell        the console command line attach runs
 * @param logSources         log source per container name ("" = the default)
 * @param portConnectTimeout how long a port-forward waits for the device's port to accept
 * @param followPoll         how often a followed log file is looked at for new lines
 */
record HostSettings(Path workingDirectory, Duration killGrace, List<String> attachShell, Map<String, LogSource> logSources,
        Duration portConnectTimeout, Duration followPoll) {
}
