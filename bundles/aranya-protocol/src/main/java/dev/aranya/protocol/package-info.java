/** Framing of protocol messages on byte-stream transports. */
@Export
@Version("0.1.0")
package dev.aranya.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
