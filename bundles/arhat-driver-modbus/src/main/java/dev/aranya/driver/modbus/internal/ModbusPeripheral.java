package dev.aranya.driver.modbus.internal;

import dev.aranya.api.driver.Peripheral;
import dev.aranya.api.driver.PeripheralConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Modbus TCP server (docs/drivers.md, "modbus-tcp"): {@code connector.target} is {@code host[:port]} (port 502),
 * {@code connector.params} {@code unitId} (1) and {@code timeoutMillis} (3000). Operations and metrics name a
 * {@code function} ({@code read-coils}, {@code read-holding-registers}, {@code read-input-registers}; operations also
 * {@code write-single-coil}, {@code write-single-register}) and an {@code address}; reads take a {@code count} (1),
 * metrics a {@code scale} (1); a write's value is its {@code value} param, else the user's first argument.
 */
final class ModbusPeripheral implements Peripheral {
    private static final Logger LOG = LoggerFactory.getLogger(ModbusPeripheral.class);
    private static final int DEFAULT_PORT = 502;
    private static final Map<String, Integer> FUNCTIONS = Map.of("read-coils", ModbusClient.READ_COILS,
            "read-holding-registers", ModbusClient.READ_HOLDING_REGISTERS,
            "read-input-registers", ModbusClient.READ_INPUT_REGISTERS,
            "write-single-coil", ModbusClient.WRITE_SINGLE_COIL,
            "write-single-register", ModbusClient.WRITE_SINGLE_REGISTER);

    private record Request(int function, int address, int count, Integer value, double scale) {
        boolean writes() {
            return function == ModbusClient.WRITE_SINGLE_COIL || function == ModbusClient.WRITE_SINGLE_REGISTER;
        }
    }

    private record MetricRead(String name, Request request) {
    }

    private final PeripheralConfig config;
    private final ModbusClient client;
    private final Map<String, Request> operations;
    private final List<MetricRead> metrics = new ArrayList<>();

    private ModbusPeripheral(PeripheralConfig config, ModbusClient client, Map<String, Request> operations) {
        this.config = config;
        this.client = client;
        this.operations = operations;
    }

    /**
     * Checks every param, then connects.
     *
     * @throws IllegalArgumentException naming the param that is missing or malformed
     * @throws IOException              when the server cannot be reached
     */
    static ModbusPeripheral open(PeripheralConfig config) throws IOException {
        Map<String, Request> operations = new java.util.HashMap<>();
        for (PeripheralConfig.Operation operation : config.operations()) {
            operations.put(operation.name(), request(operation.params(), "operations[" + operation.name() + "].params", true));
        }
        ModbusClient client = new ModbusClient(address(config.target()),
                number(config.params(), "unitId", 1, 0, 255, "connector.params"),
                number(config.params(), "timeoutMillis", 3000, 1, 600_000, "connector.params"));
        ModbusPeripheral peripheral = new ModbusPeripheral(config, client, Map.copyOf(operations));
        for (PeripheralConfig.Metric metric : config.metrics()) {
            Request request = request(metric.params(), "metrics[" + metric.name() + "].params", false);
            peripheral.metrics.add(new MetricRead(metric.name(), request));
        }
        client.connect();
        return peripheral;
    }

    private static InetSocketAddress address(String target) {
        if (target.isBlank()) {
            throw new IllegalArgumentException("connector.target is empty: the Modbus server's host[:port]");
        }
        int colon = target.lastIndexOf(':');
        if (colon < 0 || target.endsWith("]")) {
            return new InetSocketAddress(target.replace("[", "").replace("]", ""), DEFAULT_PORT);
        }
        String host = target.substring(0, colon).replace("[", "").replace("]", "");
        int port = number(Map.of("port", target.substring(colon + 1)), "port", DEFAULT_PORT, 1, 65535, "connector.target");
        return new InetSocketAddress(host, port);
    }

    private static Request request(Map<String, String> params, String where, boolean operation) {
        String name = params.getOrDefault("function", "");
        Integer function = FUNCTIONS.get(name);
        if (function == null || (!operation && name.startsWith("write"))) {
            throw new IllegalArgumentException(where + ".function must be one of " + (operation ? FUNCTIONS.keySet().stream().sorted().toList()
                    : List.of("read-coils", "read-holding-registers", "read-input-registers")) + ", was '" + name + "'");
        }
        if (!params.containsKey("address")) {
            throw new IllegalArgumentException(where + ".address is missing: the coil or register number (0..65535)");
        }
        int address = number(params, "address", 0, 0, 65535, where);
        int count = number(params, "count", 1, 1, function == ModbusClient.READ_COILS ? 2000 : 125, where);
        Integer value = params.containsKey("value") ? number(params, "value", 0, 0, 65535, where) : null;
        double scale;
        try {
            scale = Double.parseDouble(params.getOrDefault("scale", "1"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ".scale must be a number, was '" + params.get("scale") + "'");
        }
        return new Request(function, address, count, value, scale);
    }

    private static int number(Map<String, String> params, String key, int fallback, int min, int max, String where) {
        String value = params.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            int number = Integer.parseInt(value.trim());
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(where + "." + key + " must be a whole number within " + min + ".." + max
                + ", was '" + value + "'");
    }

    @Override
    public int execute(PeripheralConfig.Operation operation, List<String> args, InputStream stdin, OutputStream stdout,
                       OutputStream stderr) throws IOException {
        Request request = operations.get(operation.name());
        if (request.writes()) {
            int value = request.value() != null ? request.value() : argument(args);
            client.write(request.function(), request.address(), value);
            stdout.write(("wrote " + value + " to " + (request.function() == ModbusClient.WRITE_SINGLE_COIL ? "coil " : "register ")
                    + request.address() + "\n").getBytes(StandardCharsets.UTF_8));
            return 0;
        }
        int[] values = client.read(request.function(), request.address(), request.count());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            text.append(request.address() + i).append(' ').append(values[i]).append('\n');
        }
        stdout.write(text.toString().getBytes(StandardCharsets.UTF_8));
        return 0;
    }

    private static int argument(List<String> args) {
        if (args.size() != 1) {
            throw new IllegalArgumentException("give the value to write as the one argument (0..65535; for a coil 0 or 1)");
        }
        try {
            int value = Integer.parseInt(args.get(0));
            if (value >= 0 && value <= 65535) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("the value to write must be within 0..65535, was '" + args.get(0) + "'");
    }

    @Override
    public List<Sample> collect() {
        List<Sample> samples = new ArrayList<>();
        for (MetricRead metric : metrics) {
            Request request = metric.request();
            try {
                int[] values = client.read(request.function(), request.address(), request.count());
                for (int i = 0; i < values.length; i++) {
                    Map<String, String> labels = values.length == 1 ? Map.of() : Map.of("address", String.valueOf(request.address() + i));
                    samples.add(new Sample(metric.name(), values[i] * request.scale(), labels));
                }
            } catch (IOException e) {
                // one unreadable metric does not hide the others; a dropped connection is made again by the next read
                LOG.warn("Peripheral '{}' of {}: metric '{}' not read: {}", config.name(), config.device(), metric.name(), e.getMessage());
            }
        }
        return samples;
    }

    @Override
    public void close() {
        client.close();
    }
}
