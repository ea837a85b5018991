package dev.aranya.transport.mqtt.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both Paho clients (3.1.1 and 5) do the same way: error messages, resubscribing after a reconnect, waiting
 * while the in-flight window is full, and closing. Subclasses make the calls of their Paho API.
 */
abstract class PahoClient implements BrokerClient {
    static final int CONNECT_SECONDS = 10;
    static final long WAIT_MILLIS = 15_000;
    /** QoS 1 messages in flight per client; bounds Paho's own buffers. */
    static final int MAX_IN_FLIGHT = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(PahoClient.class);

    protected final MqttSettings settings;
    private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();

    PahoClient(MqttSettings settings) {
        this.settings = settings;
    }

    /** Connects and waits for the CONNACK. */
    protected abstract void pahoConnect() throws Exception;

    protected abstract void pahoSubscribe(String topic, boolean wait) throws Exception;

    protected abstract void pahoUnsubscribe(String topic) throws Exception;

    /** Publishes at QoS 1; false if the in-flight window is full. */
    protected abstract boolean pahoPublish(String topic, byte[] payload, boolean retained) throws Exception;

    /** Disconnects cleanly if connected, waiting for it. */
    protected abstract void pahoDisconnect() throws Exception;

    /** Releases the client's threads. */
    protected abstract void pahoClose() throws Exception;

    @Override
    public final void connect() throws IOException {
        try {
            pahoConnect();
        } catch (Exception e) {
            throw new IOException("cannot connect to MQTT broker " + settings.describe() + ": " + describe(e), e);
        }
    }

    @Override
    public final void subscribe(String topic) throws IOException {
        subscriptions.add(topic);
        try {
            pahoSubscribe(topic, true);
        } catch (Exception e) {
            throw new IOException("cannot subscribe to " + topic + " on " + settings.describe() + ": " + describe(e), e);
        }
    }

    /** After Paho reconnected by itself: the broker may have lost the session, so subscribe again. */
    protected final void reconnected() {
        LOG.info("Reconnected to MQTT broker {}", settings.describe());
        for (String topic : subscriptions) {
            try {
                pahoSubscribe(topic, false);
            } catch (Exception e) {
                LOG.warn("Cannot subscribe to {} on {}: {}", topic, settings.describe(), describe(e));
            }
        }
    }

    @Override
    public final void unsubscribe(String topic) {
        subscriptions.remove(topic);
        try {
            pahoUnsubscribe(topic);
        } catch (Exception e) {
            LOG.debug("Cannot unsubscribe from {}: {}", topic, describe(e));
        }
    }

    @Override
    public final void publish(String topic, byte[] payload, boolean retained) throws IOException {
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
        try {
            while (!pahoPublish(topic, payload, retained)) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the broker acknowledged none of " + MAX_IN_FLIGHT + " messages in "
                            + WAIT_MILLIS / 1000 + " s");
                }
                Thread.sleep(1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the in-flight window was full");
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot publish to " + topic + ": " + describe(e), e);
        }
    }

    @Override
    public final void close() {
        try {
            pahoDisconnect();
        } catch (Exception e) {
            LOG.debug("Disconnect from {} failed: {}", settings.describe(), describe(e));
        }
        try {
            pahoClose();
        } catch (Exception e) {
            LOG.debug("Closing the client of {} failed: {}", settings.describe(), describe(e));
        }
    }

    /** Paho's messages alone are often just "Connection lost": add the cause. */
    static String describe(Throwable error) {
        if (error == null) {
            return "connection lost";
        }
        String text = error.getMessage() != null ? error.getMessage() : error.getClass().getSimpleName();
        Throwable cause = error.getCause();
        if (cause != null && cause != error) {
            text += " (" + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()) + ")";
        }
        return text;
    }
}
