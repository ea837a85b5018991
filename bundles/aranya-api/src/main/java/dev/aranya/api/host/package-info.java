/** The network identity of the host Aranya runs on, which its Nodes and serving certificates advertise. */
@Export
@Version("0.1.0")
package dev.aranya.api.host;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
