/** Aranya's user-facing names: the API group, label and taint keys, connectivity methods. */
@Export
@Version("0.1.0")
package dev.aranya.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
