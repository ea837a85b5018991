package dev.aranya.transport.mqtt.internal;

import java.io.IOException;
import org.eclipse.paho.mqttv5.client.DisconnectedBufferOptions;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** MQTT 5 through Paho's mqttv5 client; learns the broker's maximum packet size from its CONNACK. */
final class PahoV5Client extends PahoClient {
    private static final Logger LOG = LoggerFactory.getLogger(PahoV5Client.class);
    /** Longer than any heartbeat timeout, so a broker reconnect keeps the session (protocol.md, MQTT). */
    private static final long SESSION_EXPIRY_SECONDS = 300;

    private final MqttAsyncClient client;
    private final MqttConnectionOptions options = new MqttConnectionOptions();
    private volatile int brokerMaxPacketSize = Integer.MAX_VALUE;

    PahoV5Client(MqttSettings settings, String clientId, Will will, boolean reconnect, Listener listener)
            throws IOException {
        super(settings);
        try {
            client = new MqttAsyncClient(settings.serverUri(), clientId, new MemoryPersistence());
        } catch (MqttException | IllegalArgumentException e) {
            throw new IOException("cannot create an MQTT client for " + settings.describe() + ": " + e.getMessage(), e);
        }
        options.setCleanStart(false);
        options.setSessionExpiryInterval(SESSION_EXPIRY_SECONDS);
        options.setKeepAliveInterval((int) settings.keepalive().toSeconds());
        options.setConnectionTimeout(CONNECT_SECONDS);
        options.setReceiveMaximum(MAX_IN_FLIGHT);
        options.setAutomaticReconnect(reconnect);
        if (settings.username() != null) {
            options.setUserName(settings.username());
        }
        if (settings.password() != null) {
            options.setPassword(settings.password().clone());
        }
        options.setSocketFactory(NoDelaySockets.forUri(settings.serverUri(), settings.tls()));
        if (will != null) {
            options.setWill(will.topic(), new MqttMessage(will.payload(), 1, true, null));
        }
        if (reconnect) {
            // frames published while reconnecting wait for the broker instead of failing
            DisconnectedBufferOptions buffer = new DisconnectedBufferOptions();
            buffer.setBufferEnabled(true);
            buffer.setBufferSize(MAX_IN_FLIGHT);
            client.setBufferOpts(buffer);
        }
        client.setCallback(new MqttCallback() {
            @Override
            public void disconnected(MqttDisconnectResponse response) {
                listener.connectionLost(response.getReasonString() != null ? response.getReasonString()
                        : describe(response.getException()));
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
                LOG.warn("MQTT error on {}: {}", settings.describe(), describe(exception));
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                listener.message(topic, message.getPayload(), message.isRetained());
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
            }

            @Override
            public void connectComplete(boolean reconnected, String serverURI) {
                if (reconnected) {
                    reconnected();
                }
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
    }

    @Override
    protected void pahoConnect() throws MqttException {
        IMqttToken token = client.connect(options);
        token.waitForCompletion(WAIT_MILLIS);
        MqttProperties connack = token.getResponseProperties();
        if (connack != null && connack.getMaximumPacketSize() != null) {
            brokerMaxPacketSize = (int) Math.min(Integer.MAX_VALUE, connack.getMaximumPacketSize());
        }
    }

    @Override
    protected void pahoSubscribe(String topic, boolean wait) throws MqttException {
        IMqttToken token = client.subscribe(topic, 1);
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
            if (e.getReasonCode() == MqttClientException.REASON_CODE_MAX_INFLIGHT) {
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
        return brokerMaxPacketSize;
    }
}
