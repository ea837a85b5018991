package dev.aranya.kube.internal;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers a {@link KubernetesClient} service whose default namespace is the namespace this Aranya serves
 * (service property {@value #NAMESPACE_PROPERTY}). A new configuration replaces the client and its service.
 */
@Component(service = {}, configurationPid = KubeClientConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = KubeClientConfig.class)
public final class KubernetesClientComponent {
    /** Service property: the namespace the client's users serve. */
    public static final String NAMESPACE_PROPERTY = "aranya.namespace";

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesClientComponent.class);

    private final KubernetesClient client;
    private final ServiceRegistration<KubernetesClient> registration;

    @Activate
    public KubernetesClientComponent(BundleContext context, KubeClientConfig config) throws IOException {
        Config clientConfig = withClientClassLoader(() -> clientConfig(config));
        client = withClientClassLoader(() -> new KubernetesClientBuilder().withConfig(clientConfig)
                .withHttpClientFactory(new JdkHttpClientFactory()).build());
        String namespace = client.getNamespace();
        String ownNamespace = ServiceAccountNamespace.read();
        if (ownNamespace != null && !ownNamespace.equals(namespace)) {
            LOG.warn("Serving namespace '{}' while running in namespace '{}': this works, but keep Aranya in the "
                    + "namespace of its EdgeDevices so one namespace holds one deployment and its devices", namespace, ownNamespace);
        }
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(NAMESPACE_PROPERTY, namespace);
        properties.put("aranya.apiserver", clientConfig.getMasterUrl());
        registration = context.registerService(KubernetesClient.class, client, properties);
        LOG.info("Kubernetes client for {} ready, serving namespace '{}'", clientConfig.getMasterUrl(), namespace);
    }

    @Deactivate
    void deactivate() {
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework unregisters a stopping bundle's services itself
        }
        client.close();
    }

    /**
     * fabric8 looks up its implementation and its model classes through the thread context class loader first,
     * which in OSGi is whatever the calling thread had (another copy of fabric8, in a test JVM): parsing the
     * kubeconfig and building the client run with the client bundle's own loader, and the HTTP client factory is
     * passed explicitly.
     */
    private static <T> T withClientClassLoader(IoSupplier<T> action) throws IOException {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(KubernetesClientBuilder.class.getClassLoader());
        try {
            return action.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    @FunctionalInterface
    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    static Config clientConfig(KubeClientConfig config) throws IOException {
        Config base;
        if (!config.kubeconfig().isBlank()) {
            Path file = Path.of(config.kubeconfig());
            if (!Files.isReadable(file)) {
                throw new IOException("kubeconfig " + file + " (dev.aranya.kube/kubeconfig) is not a readable file");
            }
            base = Config.fromKubeconfig(config.context().isBlank() ? null : config.context(), Files.readString(file), file.toString());
        } else {
            base = config.context().isBlank() ? Config.autoConfigure(null) : Config.autoConfigure(config.context());
        }
        ConfigBuilder builder = new ConfigBuilder(base).withRequestTimeout(config.requestTimeoutMillis())
                .withRequestRetryBackoffLimit(config.requestRetries()).withRequestRetryBackoffInterval(100);
        String ownNamespace = ServiceAccountNamespace.read();
        String namespace = !config.namespace().isBlank() ? config.namespace()
                : ownNamespace != null ? ownNamespace
                : base.getNamespace() != null ? base.getNamespace() : "default";
        return builder.withNamespace(namespace).build();
    }
}
