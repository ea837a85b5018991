package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The StatefulSet, its ConfigMap and Service as shipped, checked by the real apiserver ({@code --dry-run=server}). */
@ExtendWith(ControlPlaneExtension.class)
class DeploymentManifestsE2E {
    private static final Path MANIFEST = Path.of(System.getProperty("aranya.repo.dir", "."),
            "runtime/src/main/kubernetes/aranya.yaml");

    @Test
    void theDeploymentIsAcceptedByTheApiserver(ControlPlane controlPlane, TestNamespace namespace) throws Exception {
        String manifest = Files.readString(MANIFEST).replace("namespace: aranya\n", "namespace: " + namespace.name() + "\n");

        ControlPlane.Result applied = controlPlane.kubectl(manifest, "apply", "--dry-run=server", "-f", "-");

        assertThat(applied.exitCode()).as(applied.stderr()).isZero();
        assertThat(applied.stdout()).contains("configmap/aranya-config created (server dry run)")
                .contains("service/aranya created (server dry run)")
                .contains("statefulset.apps/aranya created (server dry run)");
    }

    @Test
    void theConfigMapHoldsTheConfigurationTheRuntimeReads() throws Exception {
        String manifest = Files.readString(MANIFEST);
        // the ConfigMap replaces etc/: every file the runtime needs to start must be in it
        assertThat(manifest).contains("dev.aranya.kube.cfg: |", "org.ops4j.pax.logging.cfg: |",
                "org.apache.felix.fileinstall-deploy.cfg: |", "dev.aranya.transport.tcp.cfg: |",
                "dev.aranya.observability.cfg: |");
    }
}
