package dev.aranya.arhat.internal;

import dev.aranya.api.agent.HostStreams;
import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.session.agent.AgentConnection;
import dev.aranya.session.agent.AgentEndpoint;
import dev.aranya.session.agent.AgentSettings;
import dev.aranya.session.agent.Disconnect;
import dev.aranya.session.agent.HelloRefusedException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent: connects to Aranya through the CloudLink of the configured method (a link bundle installed later is
 * picked up), keeps connecting with exponential backoff and jitter, and serves Aranya's streams with the host's
 * {@link HostStreams}. Logs one line per connect, disconnect and failed attempt. Runs only with its configuration
 * (etc/dev.aranya.arhat.cfg), so it starts once, with the device's identity, rather than once without it first.
 */
@Component(service = {}, configurationPid = ArhatConfig.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
public final class AgentComponent {
    private static final Logger LOG = LoggerFactory.getLogger(AgentComponent.class);
    /** How often node info is read again, to send it when a value changed (an address, the hostname). */
    private static final Duration NODE_INFO_CHECK = Duration.ofSeconds(60);
    /** How long the link of the configured method may be missing before the agent says so. */
    private static final int LINK_GRACE_SECONDS = 10;
    /** Refusals that retrying soon cannot fix: the next attempt waits the longest delay. */
    private static final Set<ErrorCode> LASTING_REFUSALS = EnumSet.of(ErrorCode.ERROR_CODE_UNAUTHENTICATED,
            ErrorCode.ERROR_CODE_PERMISSION_DENIED, ErrorCode.ERROR_CODE_NOT_FOUND, ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION);

    private final List<CloudLink> links = new CopyOnWriteArrayList<>();
    private final Object changes = new Object();
    private final String method;
    private final Map<String, String> linkSettings;
    private final Backoff backoff;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1, HostStreamsComponent.threads("arhat-agent"));
    private final NodeInfoReader nodeInfo;
    private final AgentEndpoint endpoint;
    private final Thread connector;
    /** Runs the peripherals' operations (kubectl exec -c <peripheral>), each on a thread while it runs. */
    private final ExecutorService operations = Executors.newCachedThreadPool(HostStreamsComponent.threads("arhat-operation"));
    private volatile boolean running = true;
    private volatile AgentConnection connection;
    private volatile NodeInfo lastNodeInfo;

    @Activate
    public AgentComponent(BundleContext context, ArhatConfig config, Map<String, Object> properties,
            @Reference HostStreams host, @Reference PeripheralRegistry peripherals) {
        this.method = config.method();
        this.linkSettings = linkSettings(properties, config, HostStreamsComponent.agentHome(context));
        this.backoff = new Backoff(Duration.ofMillis(config.reconnectInitialMillis()), Duration.ofMillis(config.reconnectMaxMillis()),
                config.reconnectFactor(), config.reconnectJitter(), () -> ThreadLocalRandom.current().nextDouble());
        String version = context.getBundle().getVersion().toString();
        this.nodeInfo = new NodeInfoReader(Path.of("/"), Path.of(config.filesystemPath()), version);
        NodeStatusSampler status = new NodeStatusSampler(Path.of("/"), Path.of(config.filesystemPath()));
        DeviceId device = new DeviceId(config.deviceNamespace(), config.deviceName());
        this.endpoint = new AgentEndpoint(AgentSettings.defaults(device, version,
                Set.of(Capabilities.EXEC, Capabilities.ATTACH, Capabilities.LOGS, Capabilities.PORT_FORWARD, Capabilities.TTY,
                        Capabilities.PERIPHERALS)),
                new PeripheralStreams(host, peripherals, operations), this::readNodeInfo,
                () -> status.get().toBuilder().addAllMetrics(peripherals.samples()).build(), scheduler,
                (received, on) -> peripherals.configure(device.name(), received, on::updatePeripheralsStatus));
        this.connector = new Thread(() -> connectLoop(device), "arhat-connect");
        if (device.namespace().isBlank() || device.name().isBlank()) {
            LOG.error("The agent does not connect: set deviceNamespace and deviceName (the EdgeDevice this device is) in "
                    + "etc/{}.cfg", ArhatConfig.PID);
            return;
        }
        connector.start();
        scheduler.scheduleWithFixedDelay(this::sendChangedNodeInfo, NODE_INFO_CHECK.toSeconds(), NODE_INFO_CHECK.toSeconds(), TimeUnit.SECONDS);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindLink(CloudLink link) {
        links.add(link);
        synchronized (changes) {
            changes.notifyAll();
        }
    }

    void unbindLink(CloudLink link) {
        links.remove(link);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        running = false;
        AgentConnection current = connection;
        if (current != null) {
            current.close("the agent is stopping");
        }
        connector.interrupt();
        if (connector.isAlive()) {
            connector.join(Duration.ofSeconds(10).toMillis());
        }
        scheduler.shutdownNow();
        operations.shutdownNow();
    }

    /**
     * The {@code link.*} properties without their prefix, and the device's identity as {@code deviceNamespace} and
     * {@code deviceName} unless set there: links that name the device on the wire (MQTT's topics and client id) need
     * it, and the operator should not have to write it twice. {@code dataDirectory} (absolute) is where a link keeps
     * what it learns, such as an enrolled certificate.
     */
    static Map<String, String> linkSettings(Map<String, Object> properties, ArhatConfig config, Path home) {
        Map<String, String> settings = new TreeMap<>();
        settings.put("deviceNamespace", config.deviceNamespace());
        settings.put("deviceName", config.deviceName());
        settings.put("dataDirectory", home.resolve(config.dataDirectory()).toAbsolutePath().normalize().toString());
        properties.forEach((key, value) -> {
            if (key.startsWith(ArhatConfig.LINK_PREFIX) && key.length() > ArhatConfig.LINK_PREFIX.length()) {
                settings.put(key.substring(ArhatConfig.LINK_PREFIX.length()), String.valueOf(value));
            }
        });
        return Map.copyOf(settings);
    }

    private void connectLoop(DeviceId device) {
        int waitedSeconds = 0;
        while (running) {
            CloudLink link = links.stream().filter(candidate -> method.equals(candidate.method())).findFirst().orElse(null);
            try {
                if (link == null) {
                    // at boot the link's bundle may start after this one: only a link still missing is worth a line
                    if (++waitedSeconds == LINK_GRACE_SECONDS) {
                        LOG.warn("No CloudLink for connectivity method '{}' is installed: waiting for one (its bundle in deploy/)", method);
                    }
                    synchronized (changes) {
                        changes.wait(1000);
                    }
                    continue;
                }
                waitedSeconds = 0;
                Thread.sleep(connectOnce(device, link).toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One connection, from connect to its end; returns how long to wait before the next. */
    private Duration connectOnce(DeviceId device, CloudLink link) throws InterruptedException {
        AgentConnection connected;
        try {
            connected = endpoint.connect(link, linkSettings);
        } catch (HelloRefusedException e) {
            Duration delay = LASTING_REFUSALS.contains(e.code()) ? backoff.longest() : backoff.next();
            LOG.error("{} as {}; trying again in {}", e.getMessage(), device, seconds(delay));
            return delay;
        } catch (IOException | RuntimeException e) {
            Duration delay = backoff.next();
            LOG.warn("Cannot connect to Aranya over {}: {}; trying again in {}", method, e.getMessage(), seconds(delay));
            return delay;
        }
        connection = connected;
        backoff.reset();
        LOG.info("Connected to Aranya over {} as {} (connection {})", method, device, Long.toHexString(connected.connectionId()));
        if (!running) {
            connected.close("the agent is stopping");
        }
        Disconnect disconnect;
        try {
            disconnect = connected.disconnected().toCompletableFuture().get();
        } catch (ExecutionException e) {
            disconnect = new Disconnect(String.valueOf(e.getCause()), GoodbyeReason.GOODBYE_REASON_UNSPECIFIED, Duration.ZERO);
        } catch (InterruptedException e) {
            connected.close("the agent is stopping");
            throw e;
        } finally {
            connection = null;
        }
        Duration delay = backoff.next();
        if (disconnect.reconnectDelay().compareTo(delay) > 0) {
            delay = disconnect.reconnectDelay();
        }
        if (running) {
            LOG.warn("Disconnected from Aranya ({}); reconnecting in {}", disconnect.reason(), seconds(delay));
        }
        return delay;
    }

    private NodeInfo readNodeInfo() {
        NodeInfo info = nodeInfo.get();
        lastNodeInfo = info;
        return info;
    }

    private void sendChangedNodeInfo() {
        AgentConnection current = connection;
        if (current == null) {
            return;
        }
        NodeInfo info = nodeInfo.get();
        if (!info.equals(lastNodeInfo)) {
            lastNodeInfo = info;
            LOG.info("Node info changed (hostname {}, {} addresses): sending it", info.getHostname(), info.getAddressesCount());
            current.updateNodeInfo(info);
        }
    }

    private static String seconds(Duration delay) {
        return String.format(Locale.ROOT, "%.1f s", delay.toMillis() / 1000.0);
    }
}
