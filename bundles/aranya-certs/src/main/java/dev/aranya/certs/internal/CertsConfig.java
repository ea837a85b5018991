package dev.aranya.certs.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(
        id = CertsConfig.PID,
        name = "Aranya node certificates",
        description = "Serving certificates of the devices' Nodes: key type, the cluster's CSR signer, renewal, and "
                + "the opt-in fallback to Aranya's own CA.")
@interface CertsConfig {
    String PID = "dev.aranya.certs";

    @AttributeDefinition(name = "Key type", description = "ECDSA (P-256) or RSA.", options = {
            @org.osgi.service.metatype.annotations.Option(value = "ECDSA", label = "ECDSA P-256"),
            @org.osgi.service.metatype.annotations.Option(value = "RSA", label = "RSA")})
    String keyType() default "ECDSA";

    @AttributeDefinition(name = "RSA key size (bits)", min = "2048")
    int rsaKeyBits() default 2048;

    @AttributeDefinition(name = "Approve own CSRs",
            description = "Approve the CSRs Aranya creates. Off: an administrator approves them (kubectl certificate approve) "
                    + "within the signing timeout.")
    boolean autoApprove() default true;

    @AttributeDefinition(name = "Signing timeout (s)", min = "1",
            description = "How long to wait for a CSR to be approved and signed before reporting the failure.")
    int signingTimeoutSeconds() default 120;

    @AttributeDefinition(name = "Requested validity (hours)", min = "0",
            description = "Asked of the signer (spec.expirationSeconds, Kubernetes 1.22+, at least 10 minutes); 0: the "
                    + "signer's default (kube-controller-manager --cluster-signing-duration, one year by default).")
    int requestedValidityHours() default 0;

    @AttributeDefinition(name = "Renew at (% of lifetime)", min = "10", max = "95",
            description = "A certificate is replaced once this share of its lifetime has passed.")
    int renewAtPercent() default 80;

    @AttributeDefinition(name = "Retry after (s)", min = "1",
            description = "First wait before retrying a failed renewal or reissue; doubles up to 10 minutes.")
    int retrySeconds() default 30;

    @AttributeDefinition(name = "Fall back to Aranya's own CA",
            description = "When the cluster does not sign (no signer, CSR denied, not approved, timeout), issue the "
                    + "certificate from Aranya's own CA (kept in a Secret). The apiserver then needs that CA in "
                    + "--kubelet-certificate-authority, or no such flag.")
    boolean fallbackToOwnCa() default false;

    @AttributeDefinition(name = "Own CA Secret", description = "Secret (in the devices' namespace) holding Aranya's own CA; made when missing.")
    String ownCaSecret() default "aranya-kubelet-serving-ca";

    @AttributeDefinition(name = "Own CA certificate validity (days)", min = "1")
    int ownCaValidityDays() default 3650;

    @AttributeDefinition(name = "Validity of certificates from the own CA (days)", min = "1")
    int ownCaLeafValidityDays() default 365;
}
