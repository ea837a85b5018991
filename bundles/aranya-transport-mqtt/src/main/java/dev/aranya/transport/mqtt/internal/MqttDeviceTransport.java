package dev.aranya.transport.mqtt.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.v1.GoodbyeReason;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aranya's side of the {@code mqtt} method: for each registered device it subscribes to the device's
 * {@code <ns>/msg} and {@code <ns>/status} on the device's broker and publishes to {@code <ns>/cmd}. Stopping it
 * ends only these devices' connections and leaves the brokers.
 */
@Component(service = DeviceTransport.class, property = DeviceTransport.METHOD_PROPERTY + "=" + Aranya.METHOD_MQTT,
        configurationPid = MqttTransportConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = MqttTransportConfig.class)
public final class MqttDeviceTransport implements DeviceTransport {
    static final String METHOD = Aranya.METHOD_MQTT;
    private static final Logger LOG = LoggerFactory.getLogger(MqttDeviceTransport.class);

    private final MqttDevices devices;

    @Activate
    public MqttDeviceTransport(@Reference(target = "(aranya.namespace=*)") KubernetesClient kube,
                               MqttTransportConfig config) throws ProtocolException {
        this(readSecretsWith(kube), config.maxFrameSize());
    }

    MqttDeviceTransport(CloudSettings.SecretReader secrets, int maxFrameSize) throws ProtocolException {
        devices = new MqttDevices(secrets, ProtocolLimits.resolveMaxFrameSize(maxFrameSize));
        LOG.info("MQTT transport ready (largest frame from an agent {} bytes)", maxFrameSize);
    }

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public void register(EdgeDevice device, DeviceConnectionListener listener) {
        devices.register(device, listener);
    }

    @Override
    public void unregister(DeviceId device) {
        devices.unregister(device, "the EdgeDevice was deleted or no longer uses mqtt",
                GoodbyeReason.GOODBYE_REASON_DEVICE_REMOVED);
    }

    @Deactivate
    void deactivate() {
        devices.close("the MQTT transport is stopping");
        LOG.info("MQTT transport stopped");
    }

    private static CloudSettings.SecretReader readSecretsWith(KubernetesClient kube) {
        return (namespace, name) -> {
            Secret secret = kube.secrets().inNamespace(namespace).withName(name).get();
            if (secret == null) {
                return null;
            }
            Map<String, byte[]> data = new HashMap<>();
            if (secret.getData() != null) {
                secret.getData().forEach((key, value) -> data.put(key, Base64.getMimeDecoder().decode(value)));
            }
            if (secret.getStringData() != null) {
                secret.getStringData().forEach((key, value) -> data.put(key, value.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            return data;
        };
    }
}
