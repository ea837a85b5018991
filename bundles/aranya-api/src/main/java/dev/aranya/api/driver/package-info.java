/**
 * The seam between the agent and device driver bundles: a driver operates peripherals of one connector method
 * ({@code spec.peripherals[].connector.method}). How to write one: docs/drivers.md.
 */
@Export
@Version("0.2.0")
package dev.aranya.api.driver;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
