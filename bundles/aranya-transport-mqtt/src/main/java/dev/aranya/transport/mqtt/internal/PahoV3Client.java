package dev.aranya.transport.mqtt.internal;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.paho.client.mqttv3.DisconnectedBufferOptions;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** MQTT 3.1.1 through Paho's mqttv3 client. */
final class PahoV3Client implements BrokerClient {
    private static final Logger LOG = LoggerFactory.getLogger(PahoV3Client.class);

    private final MqttSettings settings;
    private final MqttAsyncClient client;
    private final MqttConnectOptions options = new MqttConnectOptions();
    private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();

    PahoV3Client(MqttSettings settings, String clientId, Will will, boolean reconnect, Listener listener)
            throws IOException {
        this.settings = settings;
        try {
            // memory persistence: Paho's default writes in-flight messages to the working directory
            client = new MqttAsyncClient(settings.serverUri(), clientId, new MemoryPersistence());
        } catch (MqttException | IllegalArgumentException e) {
            throw new IOException("cannot create an MQTT client for " + settings.describe() + ": " + e.getMessage(), e);
        }
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setCleanSession(false); // a short broker outage loses no queued frame
        options.setKeepAliveInterval((int) settings.keepalive().toSeconds());
        options.setConnectionTimeout(Paho.CONNECT_SECONDS);
        options.setMaxInflight(Paho.MAX_IN_FLIGHT);
        options.setAutomaticReconnect(reconnect);
        if (settings.username() != null) {
            options.setUserName(settings.username());
        }
        if (settings.password() != null) {
            options.setPassword(new String(settings.password(), java.nio.charset.StandardCharsets.UTF_8).toCharArray());
        }
        if (settings.tls() != null) {
            options.setSocketFactory(settings.tls());
        }
        if (will != null) {
            options.setWill(will.topic(), will.payload(), 1, true);
        }
        if (reconnect) {
            // frames published while reconnecting wait for the broker instead of failing
            DisconnectedBufferOptions buffer = new DisconnectedBufferOptions();
            buffer.setBufferEnabled(true);
            buffer.setBufferSize(Paho.MAX_IN_FLIGHT);
            client.setBufferOpts(buffer);
        }
        client.setCallback(new MqttCallbackExtended() {
            @Override
            public void connectComplete(boolean reconnected, String serverURI) {
                if (reconnected) {
                    LOG.info("Reconnected to MQTT broker {}", settings.describe());
                    subscriptions.forEach(topic -> subscribeQuietly(topic));
                }
            }

            @Override
            public void connectionLost(Throwable cause) {
                listener.connectionLost(Paho.describe(cause));
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                listener.message(topic, message.getPayload(), message.isRetained());
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
    }

    @Override
    public void connect() throws IOException {
        try {
            client.connect(options).waitForCompletion(Paho.WAIT_MILLIS);
        } catch (MqttException e) {
            throw new IOException("cannot connect to MQTT broker " + settings.describe() + ": " + Paho.describe(e), e);
        }
    }

    @Override
    public void subscribe(String topic) throws IOException {
        subscriptions.add(topic);
        try {
            client.subscribe(topic, 1).waitForCompletion(Paho.WAIT_MILLIS);
        } catch (MqttException e) {
            throw new IOException("cannot subscribe to " + topic + " on " + settings.describe() + ": "
                    + Paho.describe(e), e);
        }
    }

    private void subscribeQuietly(String topic) {
        try {
            client.subscribe(topic, 1);
        } catch (MqttException e) {
            LOG.warn("Cannot subscribe to {} on {}: {}", topic, settings.describe(), Paho.describe(e));
        }
    }

    @Override
    public void unsubscribe(String topic) {
        subscriptions.remove(topic);
        try {
            client.unsubscribe(topic);
        } catch (MqttException e) {
            LOG.debug("Cannot unsubscribe from {}: {}", topic, Paho.describe(e));
        }
    }

    @Override
    public void publish(String topic, byte[] payload, boolean retained) throws IOException {
        Paho.retryWhileInFlightFull(() -> {
            try {
                client.publish(topic, payload, 1, retained);
                return true;
            } catch (MqttException e) {
                if (e.getReasonCode() == MqttException.REASON_CODE_MAX_INFLIGHT) {
                    return false;
                }
                throw new IOException("cannot publish to " + topic + ": " + Paho.describe(e), e);
            }
        });
    }

    @Override
    public int brokerMaxPacketSize() {
        return Integer.MAX_VALUE; // MQTT 3.1.1 has no way to announce it
    }

    @Override
    public void close() {
        try {
            if (client.isConnected()) {
                client.disconnect().waitForCompletion(Paho.WAIT_MILLIS);
            }
        } catch (MqttException e) {
            LOG.debug("Disconnect from {} failed: {}", settings.describe(), Paho.describe(e));
        }
        try {
            client.close(true);
        } catch (MqttException e) {
            LOG.debug("Closing the client of {} failed: {}", settings.describe(), Paho.describe(e));
        }
    }
}
