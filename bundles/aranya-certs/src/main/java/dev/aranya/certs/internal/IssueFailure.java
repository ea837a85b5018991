package dev.aranya.certs.internal;

/**
 * A serving certificate could not be had. The message is written for the device's {@code CertificateReady}
 * condition: what happened and what to do.
 */
final class IssueFailure extends Exception {
    private static final long serialVersionUID = 1L;

    /** Short CamelCase reasons, as Kubernetes conditions have them. */
    enum Reason { FORBIDDEN, NO_CSR_API, API_ERROR, DENIED, SIGNER_FAILED, NOT_APPROVED, NOT_SIGNED, BAD_CERTIFICATE }

    private final Reason reason;

    IssueFailure(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    IssueFailure(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    Reason reason() {
        return reason;
    }
}
