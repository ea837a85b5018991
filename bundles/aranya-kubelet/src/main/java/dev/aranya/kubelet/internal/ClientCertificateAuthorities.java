package dev.aranya.kubelet.internal;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

/** The CAs whose client certificates the kubelet endpoints accept: a configured PEM file or the cluster's own. */
final class ClientCertificateAuthorities {
    static final String CONFIG_MAP_NAMESPACE = "kube-system";
    static final String CONFIG_MAP_NAME = "extension-apiserver-authentication";
    static final String CONFIG_MAP_KEY = "client-ca-file";

    private ClientCertificateAuthorities() {
    }

    static List<X509Certificate> load(String pemFile, KubernetesClient client) throws IOException {
        if (!pemFile.isBlank()) {
            Path file = Path.of(pemFile);
            if (!Files.isReadable(file)) {
                throw new IOException("client CA file " + file + " (" + KubeletConfig.PID
                        + "/clientCaFile) is not a readable file");
            }
            return parse(Files.readString(file), file.toString());
        }
        String where = "ConfigMap " + CONFIG_MAP_NAMESPACE + "/" + CONFIG_MAP_NAME + " key " + CONFIG_MAP_KEY;
        ConfigMap configMap;
        try {
            configMap = client.configMaps().inNamespace(CONFIG_MAP_NAMESPACE).withName(CONFIG_MAP_NAME).get();
        } catch (RuntimeException failure) {
            throw new IOException("cannot read " + where + " (set " + KubeletConfig.PID + "/clientCaFile instead): "
                    + failure.getMessage(), failure);
        }
        String pem = configMap == null || configMap.getData() == null ? null : configMap.getData().get(CONFIG_MAP_KEY);
        if (pem == null || pem.isBlank()) {
            throw new IOException(where + " is missing: the apiserver runs without --client-ca-file; set "
                    + KubeletConfig.PID + "/clientCaFile");
        }
        return parse(pem, where);
    }

    static List<X509Certificate> parse(String pem, String source) throws IOException {
        try {
            List<X509Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
                    .stream().map(X509Certificate.class::cast).toList();
            if (certificates.isEmpty()) {
                throw new IOException(source + " holds no certificate");
            }
            return certificates;
        } catch (CertificateException bad) {
            throw new IOException(source + " is not PEM certificates: " + bad.getMessage(), bad);
        }
    }
}
