package dev.aranya.api.driver;

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
     * Opens a peripheral. Called on the agent's peripheral thread, never concurrently for one peripheral; it may
     * block for a connect, but briefly (other peripherals wait).
     *
     * @throws IllegalArgumentException with a message for the user when the config is unusable (a missing or
     *                                  malformed param); the message becomes the peripheral's state
     * @throws java.io.IOException      when the peripheral cannot be reached; the agent tries again later
     */
    Peripheral open(PeripheralConfig config) throws java.io.IOException;
}
