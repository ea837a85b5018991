/** Framing of protocol messages on byte-stream transports, and the certification request of an enrolment. */
@Export
@Version("0.2.0")
package dev.aranya.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
