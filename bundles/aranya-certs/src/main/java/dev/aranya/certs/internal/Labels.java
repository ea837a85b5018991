package dev.aranya.certs.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.transport.DeviceId;
import java.util.Map;

/** Labels and annotations on the objects this bundle writes, the keys the Go aranya used where it had them. */
final class Labels {
    /** {@code arhat.dev/role} of a device's serving-certificate Secret and CSRs. */
    static final String ROLE_NODE_CERTIFICATE = "NodeCertificate";
    /** {@code arhat.dev/role} of the Secret holding Aranya's own CA. */
    static final String ROLE_CERTIFICATE_AUTHORITY = "CertificateAuthority";

    /** Annotation: the Node a serving certificate is for. */
    static final String NODE = "aranya.arhat.dev/node";
    /** Annotation: who signed the certificate ({@code kubernetes.io/kubelet-serving} or Aranya's own CA). */
    static final String ISSUER = "aranya.arhat.dev/issuer";
    /** Value of {@link #ISSUER} for certificates from Aranya's own CA. */
    static final String ISSUER_OWN_CA = "aranya-own-ca";
    /** Annotation: the CSR (or CA Secret) the certificate came from. */
    static final String ORIGIN = "aranya.arhat.dev/issued-by";

    private static final int MAX_LABEL_VALUE = 63;

    private Labels() {
    }

    /** A device name longer than a label value may be (63) is left out: objects of such a device are found by name. */
    static Map<String, String> forDevice(DeviceId device, String role) {
        return device.name().length() > MAX_LABEL_VALUE
                ? Map.of(Aranya.LABEL_ROLE, role, Aranya.LABEL_NAMESPACE, device.namespace())
                : Map.of(Aranya.LABEL_ROLE, role, Aranya.LABEL_NAMESPACE, device.namespace(), Aranya.LABEL_NAME, device.name());
    }
}
