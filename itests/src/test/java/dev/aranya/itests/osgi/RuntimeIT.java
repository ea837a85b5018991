package dev.aranya.itests.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ops4j.pax.exam.CoreOptions.options;

import dev.aranya.itests.support.RuntimeBundles;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.util.tracker.ServiceTracker;

/** The runtime's bundle set in Felix: everything resolves and starts, every component is satisfied. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RuntimeIT {
    @Inject
    private BundleContext context;

    @Inject
    private ServiceComponentRuntime scr;

    @Configuration
    public Option[] config() {
        return options(RuntimeBundles.all());
    }

    @Test
    public void everyBundleIsActive() {
        List<String> notActive = Arrays.stream(context.getBundles())
                .filter(bundle -> bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null)
                .filter(bundle -> bundle.getState() != Bundle.ACTIVE)
                .map(bundle -> bundle.getSymbolicName() + " (state " + bundle.getState() + ")")
                .toList();

        assertThat(notActive).isEmpty();
        assertThat(Arrays.stream(context.getBundles()).map(Bundle::getSymbolicName))
                .contains("dev.aranya.api", "dev.aranya.protocol", "dev.aranya.kube", "io.fabric8.kubernetes-client-all", "io.grpc.all");
    }

    @Test
    public void everyComponentIsSatisfied() {
        var descriptions = scr.getComponentDescriptionDTOs();
        assertThat(descriptions).extracting(description -> description.name)
                .contains("dev.aranya.kube.internal.KubernetesClientComponent");

        String unsatisfied = descriptions.stream()
                .flatMap(description -> scr.getComponentConfigurationDTOs(description).stream())
                .filter(configuration -> configuration.state != ComponentConfigurationDTO.ACTIVE
                        && configuration.state != ComponentConfigurationDTO.SATISFIED)
                .map(configuration -> configuration.description.name + " state=" + configuration.state
                        + " failure=" + configuration.failure)
                .collect(Collectors.joining("\n"));
        assertThat(unsatisfied).isEmpty();
    }

    @Test
    public void aBundleStopsAndStartsAgainWithItsServices() throws Exception {
        Bundle kube = Arrays.stream(context.getBundles())
                .filter(bundle -> "dev.aranya.kube".equals(bundle.getSymbolicName())).findFirst().orElseThrow();
        ServiceTracker<KubernetesClient, KubernetesClient> clients = new ServiceTracker<>(context, KubernetesClient.class, null);
        clients.open();
        try {
            assertThat(clients.waitForService(10_000)).as("client service before the stop").isNotNull();

            kube.stop();
            assertThat(kube.getState()).isEqualTo(Bundle.RESOLVED);
            assertThat(clients.getService()).as("client service while stopped").isNull();

            kube.start();
            assertThat(kube.getState()).isEqualTo(Bundle.ACTIVE);
            assertThat(clients.waitForService(10_000)).as("client service after the start").isNotNull();
        } finally {
            clients.close();
        }
    }
}
