package dev.aranya.arhat.internal;

import dev.aranya.api.driver.DeviceDriver;
import dev.aranya.api.driver.Peripheral;
import dev.aranya.api.driver.PeripheralConfig;
import dev.aranya.protocol.v1.MetricSample;
import dev.aranya.protocol.v1.MetricType;
import dev.aranya.protocol.v1.PeripheralMetric;
import dev.aranya.protocol.v1.PeripheralOperation;
import dev.aranya.protocol.v1.PeripheralState;
import dev.aranya.protocol.v1.PeripheralState.Phase;
import dev.aranya.protocol.v1.Peripherals;
import dev.aranya.protocol.v1.PeripheralsStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device's peripherals as Aranya last sent them, each opened through the {@link DeviceDriver} service of its
 * connector method. Drivers come and go with their bundles: a peripheral whose driver is missing waits for it and
 * opens when it arrives; a driver leaving closes only its own peripherals. Every change of a peripheral's state is
 * reported (to Aranya, by the agent) with the whole {@link PeripheralsStatus}.
 *
 * <p>Opening and closing run on one thread, in order; metrics are collected on another, every
 * {@link #COLLECT_INTERVAL}, so a slow peripheral delays neither the connection's heartbeats nor the other
 * peripherals' changes.
 */
@Component(service = PeripheralRegistry.class)
public final class PeripheralRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(PeripheralRegistry.class);
    /** How often metrics are read from the open peripherals. */
    static final Duration COLLECT_INTERVAL = Duration.ofSeconds(10);
    /** How long after a failed open it is tried again (an unreachable peripheral may come back). */
    static final Duration RETRY_INTERVAL = Duration.ofSeconds(15);
    /** How long a driver's unbinding waits for its peripherals to close. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    /** A peripheral that is open: what it was opened with, and by which driver. */
    record Opened(dev.aranya.protocol.v1.Peripheral spec, PeripheralConfig config, DeviceDriver driver,
                  Peripheral peripheral) {
    }

    private record Driver(String method, DeviceDriver driver) {
    }

    private final List<Driver> drivers = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService lifecycle = Executors.newSingleThreadScheduledExecutor(
            HostStreamsComponent.threads("arhat-peripherals"));
    private final ScheduledExecutorService collector = Executors.newSingleThreadScheduledExecutor(
            HostStreamsComponent.threads("arhat-peripheral-metrics"));
    /** Changed on the lifecycle thread only; read by exec streams. */
    private final Map<String, Opened> open = new ConcurrentHashMap<>();
    private volatile String device = "";
    private volatile Map<String, dev.aranya.protocol.v1.Peripheral> desired = Map.of();
    private volatile Map<String, PeripheralState> states = Map.of();
    private volatile List<MetricSample> samples = List.of();
    private volatile Consumer<PeripheralsStatus> statusListener = status -> { };
    private ScheduledFuture<?> retry;

    public PeripheralRegistry() {
        collector.scheduleWithFixedDelay(this::collect, COLLECT_INTERVAL.toMillis(), COLLECT_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindDriver(DeviceDriver driver, Map<String, Object> properties) {
        String method = method(driver, properties);
        drivers.add(new Driver(method, driver));
        LOG.info("Driver for connector method '{}' installed ({})", method, driver.getClass().getName());
        lifecycle.execute(this::reconcile);
    }

    void unbindDriver(DeviceDriver driver, Map<String, Object> properties) {
        drivers.removeIf(bound -> bound.driver() == driver);
        LOG.info("Driver for connector method '{}' removed", method(driver, properties));
        // the driver's bundle is stopping: its peripherals close before it is gone
        try {
            lifecycle.submit(this::reconcile).get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | java.util.concurrent.RejectedExecutionException e) {
            LOG.warn("Peripherals of connector method '{}' did not close in time: {}", method(driver, properties), e.toString());
        }
    }

    private static String method(DeviceDriver driver, Map<String, Object> properties) {
        Object method = properties.get(DeviceDriver.METHOD_PROPERTY);
        return method == null ? driver.method() : String.valueOf(method);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        collector.shutdownNow();
        lifecycle.execute(() -> {
            desired = Map.of();
            open.keySet().forEach(this::close);
        });
        lifecycle.shutdown();
        lifecycle.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Takes the peripherals Aranya sent: opens the new ones, closes the ones that are gone, reopens the changed ones,
     * then reports the state of all. Does not block.
     *
     * @param deviceName the EdgeDevice's name, the {@code device} label of the metrics
     * @param reportTo   where this and every later {@link PeripheralsStatus} goes (the connection the set came on),
     *                   called on the registry's thread
     */
    void configure(String deviceName, Peripherals peripherals, Consumer<PeripheralsStatus> reportTo) {
        Map<String, dev.aranya.protocol.v1.Peripheral> byName = new LinkedHashMap<>();
        for (dev.aranya.protocol.v1.Peripheral peripheral : peripherals.getPeripheralsList()) {
            if (byName.putIfAbsent(peripheral.getName(), peripheral) != null) {
                LOG.warn("Aranya sent peripheral '{}' twice: the first one is used", peripheral.getName());
            }
        }
        lifecycle.execute(() -> {
            device = deviceName;
            desired = Map.copyOf(byName);
            statusListener = reportTo;
            // Aranya learns the state after every set it sends, even an unchanged one (a new connection)
            if (!reconcile()) {
                publish();
            }
        });
    }

    /** Whether the container name of a kubectl request is one of the device's peripherals (open or not). */
    boolean isPeripheral(String name) {
        return desired.containsKey(name);
    }

    /** The peripheral, if it is open. */
    Optional<Opened> find(String name) {
        return Optional.ofNullable(open.get(name));
    }

    /** Why the peripheral is not open, for the user. */
    String notReadyReason(String name) {
        PeripheralState state = states.get(name);
        return state == null ? "it is being opened" : state.getMessage();
    }

    /** The latest metric samples of the open peripherals, labelled with device and peripheral. */
    List<MetricSample> samples() {
        return samples;
    }

    /**
     * Brings the open peripherals in line with the desired ones and the bound drivers; on the lifecycle thread.
     *
     * @return whether a state changed (and was reported)
     */
    private boolean reconcile() {
        Map<String, dev.aranya.protocol.v1.Peripheral> wanted = desired;
        for (Opened opened : List.copyOf(open.values())) {
            String name = opened.config().name();
            boolean driverGone = drivers.stream().noneMatch(bound -> bound.driver() == opened.driver());
            if (!opened.spec().equals(wanted.get(name)) || driverGone) {
                close(name);
            }
        }
        Map<String, PeripheralState> next = new LinkedHashMap<>();
        boolean failed = false;
        for (dev.aranya.protocol.v1.Peripheral spec : wanted.values()) {
            String name = spec.getName();
            if (open.containsKey(name)) {
                next.put(name, state(name, Phase.PHASE_READY, "open with driver '" + spec.getConnector().getMethod() + "'"));
                continue;
            }
            PeripheralState state = tryOpen(spec);
            failed |= state.getPhase() == Phase.PHASE_FAILED;
            next.put(name, state);
        }
        boolean changed = !next.equals(states);
        states = Map.copyOf(next);
        if (failed) {
            scheduleRetry();
        }
        if (changed) {
            publish();
            collector.execute(this::collect);
        }
        return changed;
    }

    private PeripheralState tryOpen(dev.aranya.protocol.v1.Peripheral spec) {
        String name = spec.getName();
        String method = spec.getConnector().getMethod();
        if (method.isEmpty()) {
            return state(name, Phase.PHASE_FAILED, "connector.method is empty: it names the driver");
        }
        Optional<Driver> driver = drivers.stream().filter(bound -> bound.method().equals(method)).findFirst();
        if (driver.isEmpty()) {
            List<String> installed = drivers.stream().map(Driver::method).distinct().sorted().toList();
            return state(name, Phase.PHASE_DRIVER_MISSING, "no driver for connector method '" + method
                    + "' is installed on the device (installed: " + (installed.isEmpty() ? "none" : String.join(", ", installed))
                    + "); it opens when one is");
        }
        PeripheralConfig config = config(device, spec);
        try {
            Peripheral peripheral = driver.get().driver().open(config);
            open.put(name, new Opened(spec, config, driver.get().driver(), peripheral));
            LOG.info("Peripheral '{}' open with driver '{}' ({} operations, {} metrics)", name, method,
                    config.operations().size(), config.metrics().size());
            return state(name, Phase.PHASE_READY, "open with driver '" + method + "'");
        } catch (IllegalArgumentException | IOException e) {
            LOG.warn("Peripheral '{}' (driver '{}') cannot be opened: {}", name, method, e.getMessage());
            return state(name, Phase.PHASE_FAILED, "driver '" + method + "' cannot open it: " + e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            LOG.error("Peripheral '{}': driver '{}' failed", name, method, e);
            return state(name, Phase.PHASE_FAILED, "driver '" + method + "' failed: " + e);
        }
    }

    private void close(String name) {
        Opened opened = open.remove(name);
        if (opened == null) {
            return;
        }
        try {
            opened.peripheral().close();
            LOG.info("Peripheral '{}' closed", name);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Peripheral '{}' did not close cleanly: {}", name, e.toString());
        }
    }

    private void scheduleRetry() {
        if (retry == null || retry.isDone()) {
            retry = lifecycle.schedule(this::reconcile, RETRY_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void publish() {
        PeripheralsStatus status = PeripheralsStatus.newBuilder().addAllPeripherals(states.values()).build();
        try {
            statusListener.accept(status);
        } catch (RuntimeException e) {
            LOG.warn("Could not report the peripherals' state", e);
        }
    }

    /** Reads every open peripheral's metrics; on the collector thread. */
    private void collect() {
        List<MetricSample> collected = new ArrayList<>();
        for (Opened opened : List.copyOf(open.values())) {
            Map<String, MetricType> types = new HashMap<>();
            opened.spec().getMetricsList().forEach(metric -> types.put(metric.getName(), metric.getValueType()));
            List<Peripheral.Sample> read;
            try {
                read = opened.peripheral().collect();
            } catch (IOException | RuntimeException e) {
                LOG.warn("Peripheral '{}': metrics could not be read: {}", opened.config().name(), e.getMessage());
                continue;
            }
            for (Peripheral.Sample sample : read) {
                collected.add(MetricSample.newBuilder().setName(sample.name())
                        .setType(types.getOrDefault(sample.name(), MetricType.METRIC_TYPE_UNSPECIFIED))
                        .setValue(sample.value())
                        .putAllLabels(sample.labels())
                        .putLabels("device", device)
                        .putLabels("peripheral", opened.config().name())
                        .build());
            }
        }
        samples = List.copyOf(collected);
    }

    private static PeripheralState state(String name, Phase phase, String message) {
        return PeripheralState.newBuilder().setName(name).setPhase(phase).setMessage(message).build();
    }

    /** The driver's view of a peripheral's spec. */
    static PeripheralConfig config(String device, dev.aranya.protocol.v1.Peripheral spec) {
        return new PeripheralConfig(device, spec.getName(), spec.getConnector().getMethod(), spec.getConnector().getTarget(),
                spec.getConnector().getParamsMap(),
                spec.getOperationsList().stream().map(PeripheralRegistry::operation).toList(),
                spec.getMetricsList().stream().map(PeripheralRegistry::metric).toList());
    }

    private static PeripheralConfig.Operation operation(PeripheralOperation operation) {
        return new PeripheralConfig.Operation(operation.getName(), operation.getParamsMap());
    }

    private static PeripheralConfig.Metric metric(PeripheralMetric metric) {
        return new PeripheralConfig.Metric(metric.getName(), metric.getParamsMap());
    }
}
