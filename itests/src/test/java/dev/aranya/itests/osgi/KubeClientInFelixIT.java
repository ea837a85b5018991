package dev.aranya.itests.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import dev.aranya.api.model.EdgeDevice;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.Crds;
import dev.aranya.itests.support.RuntimeBundles;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.util.Hashtable;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The aranya-kube bundle inside Felix, configured through ConfigAdmin like etc/dev.aranya.kube.cfg, talks to the
 * real kube-apiserver: it installs the EdgeDevice CRD, writes and reads devices, and sees the apiserver refuse a
 * malformed one.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KubeClientInFelixIT {
    private static final String KUBECONFIG = "aranya.it.kubeconfig";

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configurationAdmin;

    private final String namespace = "it-osgi-" + UUID.randomUUID().toString().substring(0, 8);
    private KubernetesClient client;
    private ClassLoader testContextClassLoader;

    @Configuration
    public Option[] config() {
        // runs in the test JVM before the framework starts: the control plane is up before any bundle needs it
        String kubeconfig = ControlPlane.shared().kubeconfig().toString();
        return options(RuntimeBundles.all(), systemProperty(KUBECONFIG).value(kubeconfig),
                // Felix's implicit boot delegation would let fabric8's ServiceLoader lookups reach this test JVM's
                // class path, which holds a second copy of the fabric8 models (bin/aranya's class path holds none)
                frameworkProperty("felix.bootdelegation.implicit").value("false"));
    }

    @Before
    public void configureTheBundle() throws Exception {
        var configuration = configurationAdmin.getConfiguration("dev.aranya.kube", "?");
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("kubeconfig", System.getProperty(KUBECONFIG));
        properties.put("namespace", namespace);
        configuration.update(properties);

        ServiceTracker<KubernetesClient, KubernetesClient> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + KubernetesClient.class.getName() + ")(aranya.namespace=" + namespace + "))"), null);
        tracker.open();
        client = tracker.waitForService(20_000);
        assertThat(client).as("KubernetesClient service for namespace %s", namespace).isNotNull();
        assertThat(FrameworkUtil.getBundle(client.getClass()).getSymbolicName()).isEqualTo("io.fabric8.kubernetes-client-all");
        // fabric8 resolves model classes through the thread context class loader; this test thread's is the test
        // JVM's class path, which holds a second copy of fabric8 (bin/aranya's holds none), so the calls below run
        // as a bundle's thread would
        testContextClassLoader = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(client.getClass().getClassLoader());

        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        try (InputStream crd = EdgeDevice.class.getResourceAsStream(EdgeDevice.CRD_RESOURCE)) {
            CustomResourceDefinition definition = Serialization.unmarshal(crd, CustomResourceDefinition.class);
            client.apiextensions().v1().customResourceDefinitions().resource(definition).forceConflicts().serverSideApply();
        }
        client.apiextensions().v1().customResourceDefinitions().withName(EdgeDevice.CRD_NAME)
                .waitUntilCondition(Crds::established, 60, TimeUnit.SECONDS);
    }

    @After
    public void cleanUp() {
        if (client != null) {
            // the runtime's controller serves this namespace and made the device a Node: deleting the device while
            // the controller still runs lets it remove that Node (cluster-wide) and the device's finalizer
            client.resources(EdgeDevice.class).delete();
            client.resources(EdgeDevice.class).informOnCondition(List::isEmpty).orTimeout(30, TimeUnit.SECONDS).join();
            client.namespaces().withName(namespace).delete();
            Thread.currentThread().setContextClassLoader(testContextClassLoader);
        }
    }

    @Test
    public void edgeDeviceIsWrittenAndReadBackInsideFelix() {
        EdgeDevice device = Serialization.unmarshal("""
                apiVersion: aranya.arhat.dev/v1alpha1
                kind: EdgeDevice
                metadata: {name: felix-device}
                spec:
                  connectivity: {method: grpc}
                  pod: {allocatable: 2}
                """, EdgeDevice.class);

        client.resources(EdgeDevice.class).resource(device).create();
        EdgeDevice read = client.resources(EdgeDevice.class).withName("felix-device").get();

        assertThat(read.getMetadata().getNamespace()).isEqualTo(namespace);
        assertThat(read.getSpec().connectivity().method()).isEqualTo("grpc");
        assertThat(read.getSpec().pod().allocatable()).isEqualTo(2);
        assertThat(client.resources(EdgeDevice.class).list().getItems()).extracting(d -> d.getMetadata().getName())
                .containsExactly("felix-device");
    }

    @Test
    public void malformedEdgeDeviceIsRefusedByTheApiserver() {
        EdgeDevice device = Serialization.unmarshal("""
                apiVersion: aranya.arhat.dev/v1alpha1
                kind: EdgeDevice
                metadata: {name: felix-bad}
                spec:
                  connectivity: {method: smoke-signals}
                """, EdgeDevice.class);

        assertThatThrownBy(() -> client.resources(EdgeDevice.class).resource(device).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422))
                .hasMessageContaining("spec.connectivity.method")
                .hasMessageContaining("Unsupported value: \"smoke-signals\"");
    }
}
