package dev.aranya.driver.process.internal;

import dev.aranya.api.driver.DeviceDriver;
import dev.aranya.api.driver.Peripheral;
import dev.aranya.api.driver.PeripheralConfig;
import org.osgi.service.component.annotations.Component;

/**
 * Connector method {@code process}: peripherals reached through programs on the device (a vendor's CLI, a script
 * talking to a sysfs GPIO, ...). See {@link ProcessPeripheral} for the params.
 */
@Component(property = DeviceDriver.METHOD_PROPERTY + "=" + ProcessDriver.METHOD)
public final class ProcessDriver implements DeviceDriver {
    static final String METHOD = "process";

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public Peripheral open(PeripheralConfig config) {
        return new ProcessPeripheral(config);
    }
}
