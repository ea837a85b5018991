package dev.aranya.controller.internal;

import dev.aranya.api.model.EdgeDevice;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Kubernetes Events about EdgeDevices ({@code kubectl describe ed <name>} shows them). */
final class EventRecorder {
    static final String NORMAL = "Normal";
    static final String WARNING = "Warning";
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

    private final KubernetesClient client;
    private final String host;
    private final Clock clock;
    private final AtomicLong sequence = new AtomicLong();

    EventRecorder(KubernetesClient client, String host, Clock clock) {
        this.client = client;
        this.host = host;
        this.clock = clock;
    }

    /** Records the event; a failure to record it is logged, never thrown (events are best effort). */
    void record(EdgeDevice device, String type, String reason, String message) {
        String namespace = device.getMetadata().getNamespace();
        String name = device.getMetadata().getName();
        String now = clock.instant().toString();
        LOG.info("EdgeDevice {}/{}: {} {}", namespace, name, reason, message);
        try {
            client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                    .withNewMetadata().withNamespace(namespace)
                    .withName(name + "." + Long.toHexString(clock.millis()) + Long.toHexString(sequence.incrementAndGet()))
                    .endMetadata()
                    .withNewInvolvedObject().withApiVersion(device.getApiVersion()).withKind(device.getKind())
                    .withNamespace(namespace).withName(name).withUid(device.getMetadata().getUid())
                    .withResourceVersion(device.getMetadata().getResourceVersion()).endInvolvedObject()
                    .withType(type).withReason(reason).withMessage(message)
                    .withNewSource().withComponent(Names.EVENT_SOURCE).withHost(host).endSource()
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1).build()).create();
        } catch (RuntimeException e) {
            LOG.debug("Event {} of {}/{} not recorded: {}", reason, namespace, name, e.toString());
        }
    }
}
