package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import dev.aranya.itests.support.KarafDistribution;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Aranya deployed the Karaf way: a stock Karaf, Aranya's features repository, {@code feature:install}. */
@ExtendWith(ControlPlaneExtension.class)
class KarafFeaturesE2E {
    private static final String FEATURES = "mvn:dev.aranya/aranya-features/" + System.getProperty("aranya.version")
            + "/xml/features";

    private static final Pattern NOT_STARTED = Pattern.compile("(Installed|Resolved)\\s[^\n]*dev\\.aranya");

    @TempDir
    Path work;

    @Test
    void aranyaCoreInstallsIntoAStockKarafAndReachesTheCluster(ControlPlane controlPlane, TestNamespace namespace)
            throws Exception {
        try (KarafDistribution karaf = KarafDistribution.unpack(work)) {
            karaf.configuration("dev.aranya.kube", Map.of("kubeconfig", controlPlane.kubeconfig().toString(),
                    "namespace", namespace.name()));
            karaf.start();

            // -r: no refresh of bundles already running; a refresh of the BouncyCastle users would restart Karaf's own SSH
            // server under this very session
            karaf.execute("feature:repo-add " + FEATURES, "feature:install -r aranya-core");

            // Karaf starts the installed bundles in the background, in start-level order
            String bundles = karaf.awaitOutput("bundle:list -s -t 0", 
                    out -> !NOT_STARTED.matcher(out).find(), 180);
            assertThat(bundles).as(bundles).containsPattern("Active\\s.*dev\\.aranya\\.kube")
                    .containsPattern("Active\\s.*dev\\.aranya\\.api")
                    .containsPattern("Active\\s.*io\\.fabric8\\.kubernetes-client-all")
                    .doesNotContainPattern("(Installed|Resolved|Failure)\\s.*dev\\.aranya");
            // the components' services are registered: the client (built from the kubeconfig) and the host identity
            String services = karaf.execute("service:list io.fabric8.kubernetes.client.KubernetesClient",
                    "service:list dev.aranya.api.host.HostAddresses");
            assertThat(services).as(services).contains("aranya.namespace = " + namespace.name())
                    .contains("component.name = dev.aranya.kube.internal.HostAddressesComponent");
            assertThat(karaf.log()).contains("serving namespace '" + namespace.name() + "'");
        }
    }
}
