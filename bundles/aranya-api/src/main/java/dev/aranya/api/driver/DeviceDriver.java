package dev.aranya.api.driver;

import dev.aranya.api.model.PeripheralSpec;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Drives peripherals of one connector method in the agent. Registered as an OSGi service with
 * {@link #METHOD_PROPERTY}; the agent tracks drivers dynamically, so a peripheral comes up when its driver's
 * bundle is installed and goes down with it.
 */
@ConsumerType
public interface DeviceDriver {
    /** Service property naming the connector method, e.g. {@code (aranya.driver.method=modbus-tcp)}. */
    String METHOD_PROPERTY = "aranya.driver.method";

    /** The {@code connector.method} this driver serves. */
    String method();

    /**
     * Opens a peripheral.
     *
     * @throws IllegalArgumentException with a message for the user when the spec is unusable
     * @throws java.io.IOException      when the peripheral cannot be reached
     */
    Peripheral open(PeripheralSpec spec) throws java.io.IOException;
}
