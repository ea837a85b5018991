/** Serving certificates of the devices' Nodes, for the kubelet endpoints. Provisional until the certificates issue. */
@Export
@Version("0.1.0")
package dev.aranya.api.certs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
