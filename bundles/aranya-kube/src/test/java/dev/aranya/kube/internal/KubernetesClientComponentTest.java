package dev.aranya.kube.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubernetesClientComponentTest {
    private static final String KUBECONFIG = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: local
              cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
            users:
            - name: admin
              user: {token: not-a-real-token}
            contexts:
            - name: local
              context: {cluster: local, user: admin, namespace: from-context}
            - name: other
              context: {cluster: local, user: admin}
            current-context: local
            """;

    @TempDir
    Path dir;

    @Test
    void namespaceComesFromTheConfigurationFirst() throws IOException {
        Config config = KubernetesClientComponent.clientConfig(config(write(), "", "edge", 5000));

        assertThat(config.getMasterUrl()).startsWith("https://127.0.0.1:6443");
        assertThat(config.getNamespace()).isEqualTo("edge");
        assertThat(config.getRequestTimeout()).isEqualTo(5000);
        assertThat(config.getRequestRetryBackoffLimit()).isEqualTo(2);
        assertThat(config.getRequestRetryBackoffInterval()).isEqualTo(100);
    }

    @Test
    void namespaceFallsBackToTheContextsThenDefault() throws IOException {
        Path kubeconfig = write();
        assertThat(KubernetesClientComponent.clientConfig(config(kubeconfig, "", "", 30_000)).getNamespace()).isEqualTo("from-context");
        assertThat(KubernetesClientComponent.clientConfig(config(kubeconfig, "other", "", 30_000)).getNamespace()).isEqualTo("default");
    }

    @Test
    void missingKubeconfigIsAClearError() {
        assertThatThrownBy(() -> KubernetesClientComponent.clientConfig(config(dir.resolve("nope"), "", "", 30_000)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("nope").hasMessageContaining("dev.aranya.kube/kubeconfig");
    }

    private Path write() throws IOException {
        return Files.writeString(dir.resolve("kubeconfig"), KUBECONFIG);
    }

    private static KubeClientConfig config(Path kubeconfig, String context, String namespace, int timeout) {
        return new KubeClientConfig() {
            @Override public String kubeconfig() { return kubeconfig.toString(); }
            @Override public String context() { return context; }
            @Override public String namespace() { return namespace; }
            @Override public int requestTimeoutMillis() { return timeout; }
            @Override public int requestRetries() { return 2; }
            @Override public Class<? extends Annotation> annotationType() { return KubeClientConfig.class; }
        };
    }
}
