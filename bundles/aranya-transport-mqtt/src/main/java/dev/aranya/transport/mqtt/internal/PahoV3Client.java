package dev.aranya.transport.mqtt.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.eclipse.paho.client.mqttv3.DisconnectedBufferOptions;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** MQTT 3.1.1 through Paho's mqttv3 client. */
final class PahoV3Client extends PahoClient {
    private final MqttAsyncClient client;
    private final MqttConnectOptions options = new MqttConnectOptions();

    PahoV3Client(MqttSettings settings, String clientId, Will will, boolean reconnect, Listener listener)
            throws IOException {
        super(settings);
        try {
            // memory persistence: Paho's default writes in-flight messages to the working directory
            client = new MqttAsyncClient(settings.serverUri(), clientId, new MemoryPersistence());
        } catch (MqttException | IllegalArgumentException e) {
            throw new IOException("cannot create an MQTT client for " + settings.describe() + ": " + e.getMessage(), e);
        }
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setCleanSession(false); // a short broker outage loses no queued frame
        options.setKeepAliveInterval((int) settings.keepalive().toSeconds());
        options.setConnectionTimeout(CONNECT_SECONDS);
        options.setMaxInflight(MAX_IN_FLIGHT);
        options.setAutomaticReconnect(reconnect);
        if (settings.username() != null) {
            options.setUserName(settings.username());
        }
        if (settings.password() != null) {
            options.setPassword(new String(settings.password(), StandardCharsets.UTF_8).toCharArray());
        }
        options.setSocketFactory(NoDelaySockets.forUri(settings.serverUri(), settings.tls()));
        if (will != null) {
            options.setWill(will.topic(), will.payload(), 1, true);
        }
        if (reconnect) {
            // frames published while reconnecting wait for the broker instead of failing
            DisconnectedBufferOptions buffer = new DisconnectedBufferOptions();
            buffer.setBufferEnabled(true);
            buffer.setBufferSize(MAX_IN_FLIGHT);
            client.setBufferOpts(buffer);
        }
        client.setCallback(new MqttCallbackExtended() {
            @Override
            public void connectComplete(boolean reconnected, String serverURI) {
                if (reconnected) {
                    reconnected();
                }
            }

            @Override
            public void connectionLost(Throwable cause) {
                listener.connectionLost(describe(cause));
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
    protected void pahoConnect() throws MqttException {
        client.connect(options).waitForCompletion(WAIT_MILLIS);
    }

    @Override
    protected void pahoSubscribe(String topic, boolean wait) throws MqttException {
        var token = client.subscribe(topic, 1);
        if (wait) {
            token.waitForCompletion(WAIT_MILLIS);
        }
    }

    @Override
    protected void pahoUnsubscribe(String topic) throws MqttException {
        client.unsubscribe(topic);
    }

    @Override
    protected boolean pahoPublish(String topic, byte[] payload, boolean retained) throws MqttException {
        try {
            client.publish(topic, payload, 1, retained);
            return true;
        } catch (MqttException e) {
            if (e.getReasonCode() == MqttException.REASON_CODE_MAX_INFLIGHT) {
                return false;
            }
            throw e;
        }
    }

    @Override
    protected void pahoDisconnect() throws MqttException {
        if (client.isConnected()) {
            client.disconnect().waitForCompletion(WAIT_MILLIS);
        }
    }

    @Override
    protected void pahoClose() throws MqttException {
        client.close(true);
    }

    @Override
    public int brokerMaxPacketSize() {
        return Integer.MAX_VALUE; // MQTT 3.1.1 has no way to announce it
    }
}
