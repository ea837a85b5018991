package dev.aranya.api.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * A device, named by its EdgeDevice.
 *
 * @param namespace the EdgeDevice's namespace
 * @param name      the EdgeDevice's name, which is also its Node's name
 */
public record DeviceId(String namespace, String name) {
    /**
     * The key of the logging context (SLF4J MDC) under which Aranya's work on a device carries
     * {@code <namespace>/<name>}, so that every log line about a device names it (docs/operations.md, "Logs").
     */
    public static final String LOG_KEY = "device";

    public DeviceId {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
    }

    /**
     * The device a device certificate names, for every transport that authenticates agents by mutual TLS: the
     * subject's organisation ({@code O}) is the EdgeDevice's namespace and its common name ({@code CN}) the
     * EdgeDevice's name, e.g. {@code O=edge, CN=pi-42} (docs/protocol.md, "Security").
     *
     * @return the device, if the subject has exactly one non-blank O and one non-blank CN
     */
    public static Optional<DeviceId> ofCertificateSubject(X500Principal subject) {
        List<String> organisations = new ArrayList<>();
        List<String> commonNames = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(subject.getName()).getRdns()) {
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

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
