package dev.aranya.controller.internal;

import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.kubelet.KubeletEndpoints;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.transport.DeviceTransport;
import java.time.Instant;

/**
 * What the leader holds of one device beyond the cluster's objects. The session fields are written by the session
 * layer's threads, the rest only by the worker reconciling the device (the work queue hands a device to one worker
 * at a time).
 */
final class DeviceState {
    volatile DeviceSession session;
    volatile Instant offlineAt;
    volatile String offlineReason;

    DeviceTransport registeredWith;
    Long registeredGeneration;
    KubeletEndpoints servedBy;
    KubeletEndpoints.KubeletNode served;
    NodeCertificates certificatesFrom;

    /** the outcome of the last certificate request: null while pending, "" when issued, else why it failed */
    volatile String certificateProblem;
    volatile boolean certificateDone;
}
