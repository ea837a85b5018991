package dev.aranya.transport.mqtt.internal;

import java.io.IOException;

/**
 * One MQTT client connection to a broker, over either protocol version, with QoS 1 everywhere. Paho's two clients
 * have different APIs for the same operations; this is the part of them the transport uses.
 */
interface BrokerClient {
    /** Receives what the broker delivers and when the connection is lost; called on the client's thread. */
    interface Listener {
        void message(String topic, byte[] payload, boolean retained);

        void connectionLost(String cause);
    }

    /** A retained Last Will. */
    record Will(String topic, byte[] payload) {
    }

    /** Connects, waiting for the broker's answer. */
    void connect() throws IOException;

    void subscribe(String topic) throws IOException;

    void unsubscribe(String topic);

    /** Publishes at QoS 1 in order; waits only while the in-flight window is full. */
    void publish(String topic, byte[] payload, boolean retained) throws IOException;

    /** The broker's announced maximum packet size (MQTT 5), or {@link Integer#MAX_VALUE} if it announced none. */
    int brokerMaxPacketSize();

    /** Disconnects cleanly (the Will is not published) and releases the client. */
    void close();

    /**
     * A Paho client of the settings' protocol version, not yet connected.
     *
     * @param reconnect reconnect by itself after a lost connection (Aranya's shared clients); otherwise a lost
     *                  connection is final (the agent, whose Last Will has then ended its protocol connection)
     */
    static BrokerClient create(MqttSettings settings, String clientId, Will will, boolean reconnect, Listener listener)
            throws IOException {
        return settings.mqtt5() ? new PahoV5Client(settings, clientId, will, reconnect, listener)
                : new PahoV3Client(settings, clientId, will, reconnect, listener);
    }
}
