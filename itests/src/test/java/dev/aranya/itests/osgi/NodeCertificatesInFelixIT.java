package dev.aranya.itests.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import dev.aranya.api.certs.NodeCertificates;
import dev.aranya.api.certs.NodeCertificates.ServingCertificate;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.certs.DeviceIdentities;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.RuntimeBundles;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Hashtable;
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
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The aranya-certs bundle in the runtime's Felix (BouncyCastle from bundle/), configured through ConfigAdmin like
 * etc/*.cfg, has the real cluster sign a device's serving certificate.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class NodeCertificatesInFelixIT {
    private static final String KUBECONFIG = "aranya.it.kubeconfig";
    private static final String CLUSTER_CA = "aranya.it.clusterca";

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configurationAdmin;

    private final String namespace = "it-certs-" + UUID.randomUUID().toString().substring(0, 8);
    private KubernetesClient client;
    private ClassLoader testContextClassLoader;

    @Configuration
    public Option[] config() throws Exception {
        ControlPlane controlPlane = ControlPlane.shared();
        String clusterCa = Files.readAllLines(controlPlane.kubeconfig().resolveSibling("env")).stream()
                .filter(line -> line.startsWith("CA_CERT=")).findFirst().orElseThrow().substring("CA_CERT=".length());
        return options(RuntimeBundles.all(), systemProperty(KUBECONFIG).value(controlPlane.kubeconfig().toString()),
                systemProperty(CLUSTER_CA).value(clusterCa),
                frameworkProperty("felix.bootdelegation.implicit").value("false"));
    }

    @Before
    public void configure() throws Exception {
        update("dev.aranya.host", "hostname", "aranya-felix-host", "addresses", new String[] {"127.0.0.1"});
        update("dev.aranya.kube", "kubeconfig", System.getProperty(KUBECONFIG), "namespace", namespace);
        ServiceTracker<KubernetesClient, KubernetesClient> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + KubernetesClient.class.getName() + ")(aranya.namespace=" + namespace + "))"), null);
        tracker.open();
        client = tracker.waitForService(20_000);
        assertThat(client).as("KubernetesClient service for namespace %s", namespace).isNotNull();
        // fabric8 resolves model classes through the thread context class loader (see KubeClientInFelixIT)
        testContextClassLoader = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(client.getClass().getClassLoader());
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
    }

    @After
    public void cleanUp() {
        if (client != null) {
            client.certificates().v1().certificateSigningRequests().withLabel("arhat.dev/namespace", namespace).delete();
            client.namespaces().withName(namespace).delete();
            Thread.currentThread().setContextClassLoader(testContextClassLoader);
        }
    }

    @Test
    public void deviceGetsAServingCertificateSignedByTheCluster() throws Exception {
        ServiceTracker<NodeCertificates, NodeCertificates> tracker = new ServiceTracker<>(context, NodeCertificates.class, null);
        tracker.open();
        NodeCertificates certificates = tracker.waitForService(20_000);
        assertThat(certificates).as("NodeCertificates service").isNotNull();
        String node = "felix-" + namespace.substring("it-certs-".length());

        ServingCertificate issued = certificates.ensure(new DeviceId(namespace, node), node).toCompletableFuture().get(90, TimeUnit.SECONDS);

        X509Certificate leaf = issued.chain().get(0);
        assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=system:node:" + node + ",O=system:nodes");
        assertThat(leaf.getSubjectAlternativeNames()).extracting(san -> san.get(1).toString())
                .containsExactlyInAnyOrder("aranya-felix-host", "127.0.0.1");
        try (InputStream in = Files.newInputStream(Path.of(System.getProperty(CLUSTER_CA)))) {
            leaf.verify(CertificateFactory.getInstance("X.509").generateCertificate(in).getPublicKey());
        }
        Secret secret = client.secrets().inNamespace(namespace).withName(node + "-kubelet-tls").get();
        assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
        assertThat(certificates.current(node)).hasValueSatisfying(current -> assertThat(current.chain().get(0)).isEqualTo(leaf));
    }

    @Test
    public void deviceIdentitiesOfferTheDeviceCaMadeInTheServedNamespace() throws Exception {
        ServiceTracker<DeviceIdentities, DeviceIdentities> tracker = new ServiceTracker<>(context, DeviceIdentities.class, null);
        tracker.open();
        DeviceIdentities identities = tracker.waitForService(20_000);
        assertThat(identities).as("DeviceIdentities service").isNotNull();

        X509Certificate ca = identities.trustAnchors().get(0);

        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=aranya device CA (" + namespace + ")");
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(client.secrets().inNamespace(namespace).withName("aranya-device-ca").get().getType()).isEqualTo("kubernetes.io/tls");
    }

    private void update(String pid, Object... keyValues) throws Exception {
        Hashtable<String, Object> properties = new Hashtable<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.put((String) keyValues[i], keyValues[i + 1]);
        }
        configurationAdmin.getConfiguration(pid, "?").update(properties);
    }
}
