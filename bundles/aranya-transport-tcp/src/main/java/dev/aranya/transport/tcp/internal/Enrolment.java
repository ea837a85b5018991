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
 * A connection whose agent presented no client certificate (docs/protocol.md, "Enrolment"): its one frame may be an
 * {@code EnrolRequest}, answered with the device's new certificate or the reason it gets none; anything else is
 * refused. Either way the connection then closes, so it can never reach the session layer.
 */
final class Enrolment implements FrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(Enrolment.class);

    private final FrameChannel connection;
    private final DeviceIdentities identities;
    private final AtomicBoolean asked = new AtomicBoolean();

    /** @param identities the device CA, or null when aranya-certs is not running */
    Enrolment(FrameChannel connection, DeviceIdentities identities) {
        this.connection = connection;
        this.identities = identities;
    }

    boolean asked() {
        return asked.get();
    }

    @Override
    public void onFrame(Frame frame) {
        if (!asked.compareAndSet(false, true)) {
            return; // the answer to the first frame ends the connection
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
        identities.enrol(device, request.getBootstrapToken(), request.getCsr().toByteArray()).whenComplete((chain, failure) -> {
            if (failure == null) {
                answer(frame, device, chain);
            } else {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                boolean refused = cause instanceof DeviceIdentityException;
                refuse(frame, device, refused ? ErrorCode.ERROR_CODE_UNAUTHENTICATED : ErrorCode.ERROR_CODE_INTERNAL,
                        refused ? cause.getMessage() : "enrolment failed: " + cause.getMessage());
            }
        });
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
        LOG.info("Sent device {} at {} its certificate", device, connection.peer());
        reply(request, Frame.newBuilder().setEnrolResponse(response), "enrolled");
    }

    private void refuse(Frame request, DeviceId device, ErrorCode code, String message) {
        LOG.warn("Refused the enrolment{} from {} ({}): {}", device == null ? "" : " of device " + device, connection.peer(),
                code.name(), message);
        reply(request, Frame.newBuilder().setError(ErrorInfo.newBuilder().setCode(code).setMessage(message).setRefSequence(1)),
                "enrolment refused: " + message);
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
