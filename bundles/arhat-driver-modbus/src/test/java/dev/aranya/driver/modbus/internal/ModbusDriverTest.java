package dev.aranya.driver.modbus.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.driver.Peripheral;
import dev.aranya.api.driver.PeripheralConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ModbusDriverTest {
    private final ModbusSimulator simulator;
    private final ModbusDriver driver = new ModbusDriver();

    ModbusDriverTest() throws IOException {
        simulator = new ModbusSimulator();
    }

    @AfterEach
    void stop() throws IOException {
        simulator.close();
    }

    private PeripheralConfig config(Map<String, String> params, List<PeripheralConfig.Operation> operations,
                                    List<PeripheralConfig.Metric> metrics) {
        return new PeripheralConfig("dev", "plc", "modbus-tcp", "127.0.0.1:" + simulator.port(), params, operations, metrics);
    }

    private static PeripheralConfig.Operation operation(String name, String... params) {
        return new PeripheralConfig.Operation(name, pairs(params));
    }

    private static Map<String, String> pairs(String... keyValues) {
        java.util.Map<String, String> map = new java.util.HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    private record Run(int exitCode, String stdout, String stderr) {
    }

    private static Run run(Peripheral peripheral, PeripheralConfig.Operation operation, String... args) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = peripheral.execute(operation, List.of(args), InputStream.nullInputStream(), out, err);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void metricsReadRegistersAndCoilsScaled() throws IOException {
        simulator.holding[10] = 215;
        simulator.input[3] = 7;
        simulator.input[4] = 8;
        simulator.coils[5] = 1;
        try (Peripheral plc = driver.open(config(Map.of(), List.of(), List.of(
                new PeripheralConfig.Metric("temperature_celsius", pairs("function", "read-holding-registers", "address", "10", "scale", "0.1")),
                new PeripheralConfig.Metric("counts", pairs("function", "read-input-registers", "address", "3", "count", "2")),
                new PeripheralConfig.Metric("pump_on", pairs("function", "read-coils", "address", "5")))))) {
            assertThat(plc.collect()).containsExactlyInAnyOrder(
                    new Peripheral.Sample("temperature_celsius", 21.5, Map.of()),
                    new Peripheral.Sample("counts", 7, Map.of("address", "3")),
                    new Peripheral.Sample("counts", 8, Map.of("address", "4")),
                    new Peripheral.Sample("pump_on", 1, Map.of()));
        }
    }

    @Test
    void operationsWriteRegistersAndCoilsAndReadThem() throws IOException {
        PeripheralConfig.Operation setpoint = operation("set-setpoint", "function", "write-single-register", "address", "20");
        PeripheralConfig.Operation pumpOn = operation("pump-on", "function", "write-single-coil", "address", "7", "value", "1");
        PeripheralConfig.Operation read = operation("read", "function", "read-holding-registers", "address", "20", "count", "2");
        try (Peripheral plc = driver.open(config(Map.of(), List.of(setpoint, pumpOn, read), List.of()))) {
            assertThat(run(plc, setpoint, "300")).isEqualTo(new Run(0, "wrote 300 to register 20\n", ""));
            assertThat(run(plc, pumpOn)).isEqualTo(new Run(0, "wrote 1 to coil 7\n", ""));
            assertThat(run(plc, read).stdout()).isEqualTo("20 300\n21 0\n");
            assertThat(simulator.coils[7]).isEqualTo(1);
            assertThatThrownBy(() -> run(plc, setpoint, "lots")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("must be within 0..65535, was 'lots'");
        }
    }

    @Test
    void aModbusExceptionIsReportedWithItsMeaning() throws IOException {
        PeripheralConfig.Operation beyond = operation("beyond", "function", "read-holding-registers", "address", "99", "count", "5");
        try (Peripheral plc = driver.open(config(Map.of(), List.of(beyond), List.of()))) {
            assertThatThrownBy(() -> run(plc, beyond)).isInstanceOf(IOException.class)
                    .hasMessage("Modbus server refused function 3: exception 2 (illegal data address)");
        }
    }

    @Test
    void hostileRepliesAreRefusedAndTheNextRequestConnectsAgain() throws IOException {
        PeripheralConfig.Operation read = operation("read", "function", "read-holding-registers", "address", "0", "count", "2");
        try (Peripheral plc = driver.open(config(Map.of("timeoutMillis", "2000"), List.of(read), List.of()))) {
            simulator.tamper(reply -> {
                reply[4] = (byte) 0xff; // a length far beyond a PDU
                return reply;
            });
            assertThatThrownBy(() -> run(plc, read)).hasMessageContaining("malformed reply").hasMessageContaining("length");
            simulator.tamper(reply -> {
                reply[8] = 100; // a byte count the request did not ask for
                return reply;
            });
            assertThatThrownBy(() -> run(plc, read)).hasMessageContaining("malformed reply").hasMessageContaining("byte count 100");
            simulator.tamper(reply -> java.util.Arrays.copyOf(reply, 3)); // then silence: the read times out
            assertThatThrownBy(() -> run(plc, read)).isInstanceOf(IOException.class);
            simulator.tamper(java.util.function.UnaryOperator.identity());
            assertThat(run(plc, read).exitCode()).isZero();
        }
    }

    @Test
    void badParamsAreRefusedNamingTheParam() {
        assertThatThrownBy(() -> driver.open(config(Map.of(), List.of(operation("x", "function", "erase-all", "address", "1")), List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("operations[x].params.function must be one of");
        assertThatThrownBy(() -> driver.open(config(Map.of(), List.of(operation("x", "function", "read-coils")), List.of())))
                .hasMessageContaining("operations[x].params.address is missing");
        assertThatThrownBy(() -> driver.open(config(Map.of("unitId", "300"), List.of(), List.of())))
                .hasMessageContaining("connector.params.unitId must be a whole number within 0..255, was '300'");
        assertThatThrownBy(() -> driver.open(new PeripheralConfig("dev", "plc", "modbus-tcp", "127.0.0.1:1", Map.of(), List.of(), List.of())))
                .isInstanceOf(IOException.class).hasMessageContaining("cannot connect to Modbus server 127.0.0.1:1");
    }
}
