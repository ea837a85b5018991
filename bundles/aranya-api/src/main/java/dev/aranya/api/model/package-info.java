/**
 * The {@code EdgeDevice} custom resource ({@code aranya.arhat.dev/v1alpha1}) as fabric8 model classes. The CRD
 * manifest that matches them is {@link dev.aranya.api.model.EdgeDevice#CRD_RESOURCE}.
 */
@Export
@Version("0.1.0")
package dev.aranya.api.model;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
