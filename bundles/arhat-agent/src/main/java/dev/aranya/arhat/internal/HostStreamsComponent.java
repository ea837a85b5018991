package dev.aranya.arhat.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Does on the device host what Aranya's streams ask for: exec, attach, logs and port-forward. */
@Component(service = HostStreams.class, configurationPid = ArhatConfig.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ArhatConfig.class)
public final class HostStreamsComponent implements HostStreams {
    private static final Logger LOG = LoggerFactory.getLogger(HostStreamsComponent.class);

    private final HostRuntime runtime;
    private final Consoles consoles;

    @Activate
    public HostStreamsComponent(BundleContext context, ArhatConfig config, Map<String, Object> properties) {
        this(settings(config, properties, agentHome(context)));
    }

    HostStreamsComponent(HostSettings settings) {
        this.runtime = new HostRuntime(Executors.newCachedThreadPool(threads("arhat-host")),
                Executors.newSingleThreadScheduledExecutor(threads("arhat-timer")), settings);
        this.consoles = new Consoles(runtime);
        LOG.info("Host streams ready: commands run as OS user '{}' in {}; log sources {}; attach console {}",
                System.getProperty("user.name"), settings.workingDirectory(), settings.logSources(), settings.attachShell());
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        consoles.close();
        runtime.shutdown();
    }

    @Override
    public AgentStreamListener open(Frame opening, AgentStream stream) {
        HostStream work = switch (opening.getBodyCase()) {
            case EXEC -> new ExecStream(opening.getExec(), stream, runtime);
            case ATTACH -> new AttachStream(opening.getAttach(), stream, runtime, consoles);
            case LOGS -> new LogStream(opening.getLogs(), stream, runtime);
            case PORT_FORWARD -> new PortForwardStream(opening.getPortForward(), stream, runtime);
            default -> null;
        };
        if (work == null) {
            LOG.warn("Stream {}: refused, the agent cannot open a stream with {}", stream.id(), opening.getBodyCase());
            stream.end(StreamEnds.error(ErrorCode.ERROR_CODE_UNSUPPORTED,
                    "the agent does not support streams of kind " + opening.getBodyCase()));
            return DISCARD;
        }
        work.open();
        return work;
    }

    /** The listener of a stream refused at once: input is discarded with its credit returned. */
    private static final AgentStreamListener DISCARD = new AgentStreamListener() {
        @Override
        public void onData(Channel channel, ByteBuffer data) {
            data.position(data.limit());
        }

        @Override
        public void onCancel(Cancel cancel) {
            // nothing runs
        }

        @Override
        public void onConnectionLost(String reason) {
            // nothing runs
        }
    };

    static HostSettings settings(ArhatConfig config, Map<String, Object> properties, Path home) {
        Map<String, LogSource> logSources = new HashMap<>();
        logSources.put("", LogSource.parse(config.logSource(), home));
        properties.forEach((key, value) -> {
            if (key.startsWith(ArhatConfig.LOG_SOURCE_PREFIX) && key.length() > ArhatConfig.LOG_SOURCE_PREFIX.length()) {
                logSources.put(key.substring(ArhatConfig.LOG_SOURCE_PREFIX.length()), LogSource.parse(String.valueOf(value), home));
            }
        });
        Path userHome = Path.of(System.getProperty("user.home"));
        Path workingDirectory = config.workingDirectory().isBlank() ? userHome : Path.of(config.workingDirectory());
        if (!Files.isDirectory(workingDirectory)) {
            throw new IllegalArgumentException("workingDirectory " + workingDirectory + " (" + ArhatConfig.PID + ") is not a directory");
        }
        return new HostSettings(workingDirectory, Duration.ofSeconds(config.killGraceSeconds()), attachShell(config.attachShell()),
                Map.copyOf(logSources), Duration.ofSeconds(config.portConnectTimeoutSeconds()),
                Duration.ofMillis(config.followPollMillis()));
    }

    static List<String> attachShell(String configured) {
        if (!configured.isBlank()) {
            return Arrays.asList(configured.trim().split("\\s+"));
        }
        String shell = System.getenv("SHELL");
        return List.of(shell == null || shell.isBlank() ? "/bin/sh" : shell, "-i");
    }

    /** The agent's distribution folder, against which relative log file paths resolve. */
    static Path agentHome(BundleContext context) {
        String home = context.getProperty("aranya.home");
        return Path.of(home == null ? "." : home).toAbsolutePath();
    }

    static ThreadFactory threads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
