/**
 * The seam between Aranya and its transport bundles (gRPC, MQTT, raw TCP, and any an operator installs).
 * A transport moves protocol {@link dev.aranya.protocol.v1.Frame}s between Aranya and one device's agent; what
 * the frames mean (hello, streams, flow control, heartbeats) is the same on every transport and is handled above
 * this seam. Transports are registered as OSGi services and consumed through dynamic references, so installing,
 * updating or removing a transport bundle affects only the devices on it. Provisional until the transports issue.
 */
@Export
@Version("0.1.0")
package dev.aranya.api.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
