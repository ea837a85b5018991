package dev.aranya.transport.tcp.internal;

import dev.aranya.api.certs.DeviceIdentities;
import dev.aranya.api.certs.DeviceIdentities.DeviceIdentityException;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.v1.EnrolRequest;
import dev.aranya.protocol.v1.EnrolResponse;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Frame;
import com.google.protobuf.ByteString;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection that asks for a device certificate (docs/protocol.md, "Enrolment" and "Renewal"); it never reaches the
 * session layer. Without a client certificate its one frame may be an {@code EnrolRequest} with the bootstrap token;
 * with one the device CA accepted, an {@code EnrolRequest} without a token renews that certificate. The answer is
 * the device's new certificate or the reason it gets none; anything else is refused. Either way the connection then
 * closes.
 */
final class Enrolment implements FrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(Enrolment.class);

    private final FrameChannel connection;
    private final DeviceIdentities identities;
    private final List<X509Certificate> presented;
    private final DeviceId authenticated;
    private final AtomicBoolean asked = new AtomicBoolean();

    private Enrolment(FrameChannel connection, DeviceIdentities identities, List<X509Certificate> presented, DeviceId authenticated) {
        this.connection = connection;
        this.identities = identities;
        this.presented = presented;
        this.authenticated = authenticated;
    }

    /** A connection without a client certificate: enrolment with a bootstrap token. */
    static Enrolment withBootstrapToken(FrameChannel connection, DeviceIdentities identities) {
        return new Enrolment(connection, identities, List.of(), null);
    }

    /** A connection whose client certificate the device CA accepted for the device: renewal of that certificate. */
    static Enrolment renewal(FrameChannel connection, DeviceIdentities identities, List<X509Certificate> presented,
            DeviceId authenticated) {
        return new Enrolment(connection, identities, presented, authenticated);
    }

    private boolean renewing() {
        return authenticated != null;
    }

    boolean asked() {
        return asked.get();
    }

    @Override
    public void onFrame(Frame frame) {
        if (!asked.compareAndSet(false, true)) {
            return; // the answer to the first frame ends the connection
        }
        if (renewing()) {
            renew(frame, frame.getEnrolRequest()); // only an EnrolRequest is handed to a renewal
            return;
        }
        if (!frame.hasEnrolRequest() || frame.getConnectionId() == 0) {
            // a certificate of another CA lands here too: TLS clients offer only certificates of the issuers Aranya names
            refuse(frame, null, ErrorCode.ERROR_CODE_UNAUTHENTICATED, "the agent presented no certificate issued by the device CA "
                    + "(one of another CA is not offered), so it may only enrol, but its first frame is " + frame.getBodyCase());
            return;
        }
        EnrolRequest request = frame.getEnrolRequest();
        if (request.getDeviceNamespace().isBlank() || request.getDeviceName().isBlank() || request.getBootstrapToken().isEmpty()
                || request.getCsr().isEmpty()) {
            refuse(frame, null, ErrorCode.ERROR_CODE_BAD_REQUEST,
                    "an enrolment request needs the device's namespace and name, its bootstrap token and a certification request");
            return;
        }
        DeviceId device = new DeviceId(request.getDeviceNamespace(), request.getDeviceName());
        if (identities == null) {
            refuse(frame, device, ErrorCode.ERROR_CODE_UNAVAILABLE,
                    "enrolment needs the device CA of bundle aranya-certs, which is not running");
            return;
        }
        LOG.info("Enrolment request for device {} from {}", device, connection.peer());
        identities.enrol(device, request.getBootstrapToken(), request.getCsr().toByteArray())
                .whenComplete((chain, failure) -> settle(frame, device, chain, failure));
    }

    /** The certificate the connection presented is replaced by one for the request's key; the device is its own. */
    private void renew(Frame frame, EnrolRequest request) {
        if (frame.getConnectionId() == 0) {
            refuse(frame, authenticated, ErrorCode.ERROR_CODE_BAD_REQUEST, "a renewal request needs a connection id");
            return;
        }
        if (!request.getBootstrapToken().isEmpty()) {
            refuse(frame, authenticated, ErrorCode.ERROR_CODE_BAD_REQUEST,
                    "a renewal carries no bootstrap token: the client certificate identifies the device");
            return;
        }
        if (request.getCsr().isEmpty()) {
            refuse(frame, authenticated, ErrorCode.ERROR_CODE_BAD_REQUEST, "a renewal request needs a certification request");
            return;
        }
        boolean named = !request.getDeviceNamespace().isEmpty() || !request.getDeviceName().isEmpty();
        if (named && !authenticated.equals(new DeviceId(request.getDeviceNamespace(), request.getDeviceName()))) {
            refuse(frame, authenticated, ErrorCode.ERROR_CODE_PERMISSION_DENIED, "the client certificate is device " + authenticated
                    + "'s, which may renew only its own certificate, not " + request.getDeviceNamespace() + "/" + request.getDeviceName() + "'s");
            return;
        }
        LOG.info("Renewal request of device {} from {}", authenticated, connection.peer());
        identities.renew(presented, request.getCsr().toByteArray())
                .whenComplete((chain, failure) -> settle(frame, authenticated, chain, failure));
    }

    private void settle(Frame frame, DeviceId device, List<X509Certificate> chain, Throwable failure) {
        if (failure == null) {
            answer(frame, device, chain);
            return;
        }
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        boolean refused = cause instanceof DeviceIdentityException;
        refuse(frame, device, refused ? ErrorCode.ERROR_CODE_UNAUTHENTICATED : ErrorCode.ERROR_CODE_INTERNAL,
                refused ? cause.getMessage() : operation() + " failed: " + cause.getMessage());
    }

    private String operation() {
        return renewing() ? "renewal" : "enrolment";
    }

    private void answer(Frame request, DeviceId device, List<X509Certificate> chain) {
        EnrolResponse.Builder response = EnrolResponse.newBuilder();
        try {
            for (X509Certificate certificate : chain) {
                response.addCertificateChain(ByteString.copyFrom(certificate.getEncoded()));
            }
            for (X509Certificate anchor : identities.trustAnchors()) {
                response.addDeviceCa(ByteString.copyFrom(anchor.getEncoded()));
            }
        } catch (CertificateEncodingException | IllegalStateException e) {
            refuse(request, device, ErrorCode.ERROR_CODE_INTERNAL, "the issued certificate cannot be sent: " + e.getMessage());
            return;
        }
        LOG.info("Sent device {} at {} its {} certificate", device, connection.peer(), renewing() ? "renewed" : "new");
        reply(request, Frame.newBuilder().setEnrolResponse(response), renewing() ? "renewed" : "enrolled");
    }

    private void refuse(Frame request, DeviceId device, ErrorCode code, String message) {
        LOG.warn("Refused the {}{} from {} ({}): {}", operation(), device == null ? "" : " of device " + device, connection.peer(),
                code.name(), message);
        reply(request, Frame.newBuilder().setError(ErrorInfo.newBuilder().setCode(code).setMessage(message).setRefSequence(1)),
                operation() + " refused: " + message);
    }

    private void reply(Frame request, Frame.Builder body, String closeReason) {
        connection.send(body.setConnectionId(request.getConnectionId()).setSequence(1).build());
        connection.close(closeReason);
    }

    @Override
    public void onClosed(String reason) {
        // nothing is kept for an enrolment connection
    }
}
