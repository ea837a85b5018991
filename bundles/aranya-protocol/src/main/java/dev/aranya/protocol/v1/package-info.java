/**
 * Protocol messages generated from {@code src/main/proto/aranya/v1}: see {@code docs/protocol.md}.
 */
@Export
@Version("0.1.0")
package dev.aranya.protocol.v1;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
