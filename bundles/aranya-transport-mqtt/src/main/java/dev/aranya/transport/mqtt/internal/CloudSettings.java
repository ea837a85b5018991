package dev.aranya.transport.mqtt.internal;

import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.model.MqttSpec;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import javax.net.ssl.SSLSocketFactory;

/** Aranya's settings for one device, from its EdgeDevice and the Secrets it names. */
final class CloudSettings {
    /** Reads a Secret of a namespace: its data, or null if there is none of that name. */
    @FunctionalInterface
    interface SecretReader {
        Map<String, byte[]> read(String namespace, String name);
    }

    /**
     * @param settings  the broker settings
     * @param clientKey identifies the broker client devices may share: same broker, version, client id and
     *                  credentials (credentials only as a digest)
     */
    record Resolved(MqttSettings settings, String clientKey) {
    }

    private CloudSettings() {
    }

    static Resolved resolve(EdgeDevice device, SecretReader secrets) {
        String namespace = device.getMetadata().getNamespace();
        MqttSpec spec = device.getSpec() == null || device.getSpec().connectivity() == null ? null
                : device.getSpec().connectivity().mqtt();
        if (spec == null) {
            throw new IllegalArgumentException("spec.connectivity.mqtt is required with method mqtt");
        }
        Topics topics = new Topics(spec.topicNamespace());
        Map<String, byte[]> tlsData = secret(secrets, namespace, spec.tlsSecretRef(), "mqtt.tlsSecretRef");
        SSLSocketFactory tls = null;
        if (tlsData != null) {
            String source = "Secret " + spec.tlsSecretRef().getName();
            if (tlsData.get("ca.crt") == null) {
                throw new IllegalArgumentException(source + " (mqtt.tlsSecretRef) has no ca.crt");
            }
            tls = TlsSockets.socketFactory(tlsData.get("ca.crt"), tlsData.get("tls.crt"), tlsData.get("tls.key"), source);
        }
        Map<String, byte[]> userPass = secret(secrets, namespace, spec.userPassRef(), "mqtt.userPassRef");
        String username = null;
        byte[] password = null;
        if (userPass != null) {
            if (userPass.get("username") == null) {
                throw new IllegalArgumentException("Secret " + spec.userPassRef().getName()
                        + " (mqtt.userPassRef) has no username");
            }
            username = new String(userPass.get("username"), StandardCharsets.UTF_8);
            password = userPass.get("password");
        }
        String serverUri = MqttSettings.serverUri(spec.broker(), spec.transport(), tls != null);
        boolean mqtt5 = MqttSettings.isMqtt5(spec.version());
        String clientId = spec.clientID() == null || spec.clientID().isEmpty() ? null : spec.clientID();
        MqttSettings settings = new MqttSettings(serverUri, topics, clientId, mqtt5,
                MqttSettings.keepalive(spec.keepaliveInterval()), MqttSettings.maxPayloadSize(spec.maxPayloadSize()),
                tls, username, password);
        String credentials = digest(username, password, tlsData == null ? null : digestValues(tlsData), null);
        String key = serverUri + "|" + (mqtt5 ? "5" : "3.1.1") + "|" + settings.keepalive().toSeconds() + "|"
                + (clientId != null ? clientId : "") + "|" + credentials;
        return new Resolved(settings, key);
    }

    /**
     * The client id of a shared client when no device named one: stable across restarts (so the broker keeps
     * its persistent session) and distinct per namespace, broker and user.
     */
    static String derivedClientId(String namespace, MqttSettings settings) {
        return "aranya-" + digest(namespace, settings.serverUri().getBytes(StandardCharsets.UTF_8), settings.username(), null)
                .substring(0, 16);
    }

    private static Map<String, byte[]> secret(SecretReader secrets, String namespace, LocalObjectReference ref,
                                              String field) {
        if (ref == null || ref.getName() == null || ref.getName().isEmpty()) {
            return null;
        }
        Map<String, byte[]> data = secrets.read(namespace, ref.getName());
        if (data == null) {
            throw new IllegalArgumentException("Secret " + ref.getName() + " named by " + field
                    + " does not exist in namespace " + namespace);
        }
        return data;
    }

    private static String digestValues(Map<String, byte[]> data) {
        StringBuilder all = new StringBuilder();
        data.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> all.append(e.getKey()).append('=').append(HexFormat.of().formatHex(e.getValue())).append(';'));
        return all.toString();
    }

    private static String digest(String a, byte[] b, String c, String d) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Object part : new Object[] {a, b, c, d}) {
                byte[] bytes = part == null ? new byte[0]
                        : part instanceof byte[] raw ? raw : part.toString().getBytes(StandardCharsets.UTF_8);
                sha.update(bytes);
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
