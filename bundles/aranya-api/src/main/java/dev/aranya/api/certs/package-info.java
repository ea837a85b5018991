/** Serving certificates of the devices' Nodes (for the kubelet endpoints) and device identities (for the transports). */
@Export
@Version("0.4.0")
package dev.aranya.api.certs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
