package dev.aranya.driver.modbus.internal;

import dev.aranya.api.driver.DeviceDriver;
import dev.aranya.api.driver.Peripheral;
import dev.aranya.api.driver.PeripheralConfig;
import java.io.IOException;
import org.osgi.service.component.annotations.Component;

/** Connector method {@code modbus-tcp}: PLCs, meters and I/O modules on Modbus TCP. See {@link ModbusPeripheral}. */
@Component(property = DeviceDriver.METHOD_PROPERTY + "=" + ModbusDriver.METHOD)
public final class ModbusDriver implements DeviceDriver {
    static final String METHOD = "modbus-tcp";

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public Peripheral open(PeripheralConfig config) throws IOException {
        return ModbusPeripheral.open(config);
    }
}
