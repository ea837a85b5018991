package dev.aranya.api.certs;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A TLS server's trust in client certificates issued by the current device CA of {@link DeviceIdentities}: asked
 * at every handshake, so a replaced device CA is trusted without rebuilding the server, and a missing
 * DeviceIdentities service (aranya-certs stopped) fails the handshake with a message saying so. Transports use it
 * when no CA file of their own is configured.
 */
public final class DeviceCaTrustManager extends X509ExtendedTrustManager {
    private final Supplier<DeviceIdentities> current;
    private volatile Trusted trusted;

    /** @param current the DeviceIdentities service now, or null while there is none */
    public DeviceCaTrustManager(Supplier<DeviceIdentities> current) {
        this.current = current;
    }

    private record Trusted(List<X509Certificate> anchors, X509TrustManager delegate) {
    }

    private Trusted trusted() throws CertificateException {
        DeviceIdentities identities = current.get();
        if (identities == null) {
            throw new CertificateException("no device CA to verify the client certificate: the DeviceIdentities service "
                    + "(bundle aranya-certs) is not running");
        }
        List<X509Certificate> anchors;
        try {
            anchors = identities.trustAnchors();
        } catch (IllegalStateException e) {
            throw new CertificateException("the device CA is unavailable: " + e.getMessage(), e);
        }
        Trusted now = trusted;
        if (now == null || !now.anchors().equals(anchors)) {
            now = new Trusted(anchors, pkix(anchors));
            trusted = now;
        }
        return now;
    }

    private static X509TrustManager pkix(List<X509Certificate> anchors) throws CertificateException {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < anchors.size(); i++) {
                store.setCertificateEntry("device-ca-" + i, anchors.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new CertificateException("the JVM offers no X.509 trust manager");
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new CertificateException("cannot trust the device CA: " + e.getMessage(), e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        trusted().delegate().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the device CA verifies clients only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    /** The device CA, named in the server's certificate request; none while it is unavailable. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        try {
            return trusted().anchors().toArray(X509Certificate[]::new);
        } catch (CertificateException e) {
            return new X509Certificate[0];
        }
    }
}
