/**
 * The agent's seam between the protocol endpoint (hello, heartbeats, stream multiplexing and flow control, the same
 * on every transport) and the host work behind it (exec with a PTY, attach, logs, port-forward, drivers).
 */
@Export
@Version("0.1.0")
package dev.aranya.api.agent;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
