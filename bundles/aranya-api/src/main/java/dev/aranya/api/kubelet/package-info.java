/**
 * The kubelet endpoints Aranya serves for its devices' Nodes. The controller decides which devices are served and
 * on which ports (only while it leads); the kubelet bundle serves them.
 */
@Export
@Version("0.1.0")
package dev.aranya.api.kubelet;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
