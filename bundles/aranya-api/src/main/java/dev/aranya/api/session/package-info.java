/**
 * Live device sessions, the same on every transport: a {@link dev.aranya.api.session.DeviceSession} is an agent
 * connection that completed the protocol's hello; it carries the device's node info and status and multiplexes
 * {@link dev.aranya.api.session.DeviceStream}s (exec, attach, logs, port-forward) with per-stream flow control.
 * The controller watches sessions for Node health; the kubelet opens streams on them.
 */
@Export
@Version("0.1.0")
package dev.aranya.api.session;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
