/**
 * Device identities: client certificates of the devices' agents, for the transports' mutual TLS. See
 * docs/certificates.md for the enrolment path.
 */
@Export
@Version("0.1.0")
package dev.aranya.certs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
