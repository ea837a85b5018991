package dev.aranya.transport.tcp.internal;

import dev.aranya.api.transport.DeviceId;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The device a certificate names: its subject's organisation ({@code O}) is the EdgeDevice's namespace and its
 * common name ({@code CN}) the EdgeDevice's name, e.g. {@code O=edge, CN=pi-42} (docs/protocol.md, "Security").
 */
final class DeviceIdentity {
    private DeviceIdentity() {
    }

    /** The device, if the subject has exactly one O and one CN. */
    static Optional<DeviceId> of(X509Certificate certificate) {
        List<String> organisations = new ArrayList<>();
        List<String> commonNames = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if ("O".equalsIgnoreCase(rdn.getType())) {
                    organisations.add(String.valueOf(rdn.getValue()));
                } else if ("CN".equalsIgnoreCase(rdn.getType())) {
                    commonNames.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        if (organisations.size() != 1 || commonNames.size() != 1
                || organisations.get(0).isBlank() || commonNames.get(0).isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new DeviceId(organisations.get(0), commonNames.get(0)));
    }
}
