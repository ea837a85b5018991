package dev.aranya.transport.mqtt.internal;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
final class PahoV5Client implements BrokerClient {
    private static final Logger LOG = LoggerFactory.getLogger(PahoV5Client.class);
    /** Longer than any heartbeat timeout, so a broker reconnect keeps the session (protocol.md, MQTT). */
    private static final long SESSION_EXPIRY_SECONDS = 300;

    private final MqttSettings settings;
    private final MqttAsyncClient client;
    private final MqttConnectionOptions options = new MqttConnectionOptions();
    private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
    private volatile int brokerMaxPacketSize = Integer.MAX_VALUE;

    PahoV5Client(MqttSettings settings, String clientId, Will will, boolean reconnect, Listener listener)
            throws IOException {
        this.settings = settings;
        try {
            client = new MqttAsyncClient(settings.serverUri(), clientId, new MemoryPersistence());
        } catch (MqttException | IllegalArgumentException e) {
            throw new IOException("cannot create an MQTT client for " + settings.describe() + ": " + e.getMessage(), e);
        }
        options.setCleanStart(false);
        options.setSessionExpiryInterval(SESSION_EXPIRY_SECONDS);
        options.setKeepAliveInterval((int) settings.keepalive().toSeconds());
        options.setConnectionTimeout(Paho.CONNECT_SECONDS);
        options.setReceiveMaximum(Paho.MAX_IN_FLIGHT);
        options.setAutomaticReconnect(reconnect);
        if (settings.username() != null) {
            options.setUserName(settings.username());
        }
        if (settings.password() != null) {
            options.setPassword(settings.password().clone());
        }
        if (settings.tls() != null) {
            options.setSocketFactory(settings.tls());
        }
        if (will != null) {
            MqttMessage willMessage = new MqttMessage(will.payload(), 1, true, null);
            options.setWill(will.topic(), willMessage);
        }
        if (reconnect) {
            // frames published while reconnecting wait for the broker instead of failing
            DisconnectedBufferOptions buffer = new DisconnectedBufferOptions();
            buffer.setBufferEnabled(true);
            buffer.setBufferSize(Paho.MAX_IN_FLIGHT);
            client.setBufferOpts(buffer);
        }
        client.setCallback(new MqttCallback() {
            @Override
            public void disconnected(MqttDisconnectResponse response) {
                listener.connectionLost(response.getReasonString() != null ? response.getReasonString()
                        : Paho.describe(response.getException()));
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
                LOG.warn("MQTT error on {}: {}", settings.describe(), Paho.describe(exception));
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
                    LOG.info("Reconnected to MQTT broker {}", settings.describe());
                    subscriptions.forEach(topic -> subscribeQuietly(topic));
                }
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
    }

    @Override
    public void connect() throws IOException {
        try {
            IMqttToken token = client.connect(options);
            token.waitForCompletion(Paho.WAIT_MILLIS);
            MqttProperties connack = token.getResponseProperties();
            if (connack != null && connack.getMaximumPacketSize() != null) {
                brokerMaxPacketSize = (int) Math.min(Integer.MAX_VALUE, connack.getMaximumPacketSize());
            }
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
                if (e.getReasonCode() == MqttClientException.REASON_CODE_MAX_INFLIGHT) {
                    return false;
                }
                throw new IOException("cannot publish to " + topic + ": " + Paho.describe(e), e);
            }
        });
    }

    @Override
    public int brokerMaxPacketSize() {
        return brokerMaxPacketSize;
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
