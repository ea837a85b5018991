package dev.aranya.itests.support;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class the real control plane ({@link ControlPlane}) and a fresh namespace of its own
 * ({@link TestNamespace}), deleted after the class.
 */
public final class ControlPlaneExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(ControlPlaneExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        ControlPlane controlPlane = ControlPlane.shared();
        String test = context.getRequiredTestClass().getSimpleName().toLowerCase().replaceAll("[^a-z0-9]", "");
        String name = "it-" + test.substring(0, Math.min(30, test.length())) + "-" + UUID.randomUUID().toString().substring(0, 6);
        KubernetesClient client = controlPlane.client(name);
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        context.getStore(STORE).put(TestNamespace.class, new TestNamespace(name, client));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        TestNamespace namespace = context.getStore(STORE).remove(TestNamespace.class, TestNamespace.class);
        if (namespace != null) {
            releaseEdgeDevices(namespace);
            namespace.client().namespaces().withName(namespace.name()).delete();
            namespace.client().close();
        }
    }

    /**
     * Drops the finalizers of the EdgeDevices left in the namespace: the test's Aranya has stopped by now and would
     * never remove them, which left the namespace Terminating for ever on a shared control plane.
     */
    private static void releaseEdgeDevices(TestNamespace namespace) {
        try {
            namespace.client().genericKubernetesResources("aranya.arhat.dev/v1alpha1", "EdgeDevice")
                    .inNamespace(namespace.name()).list().getItems().stream()
                    .filter(device -> !device.getMetadata().getFinalizers().isEmpty())
                    .forEach(device -> namespace.client().genericKubernetesResources("aranya.arhat.dev/v1alpha1", "EdgeDevice")
                            .inNamespace(namespace.name()).withName(device.getMetadata().getName())
                            .edit(edited -> {
                                edited.getMetadata().setFinalizers(List.of());
                                return edited;
                            }));
        } catch (KubernetesClientException e) {
            // no EdgeDevice CRD installed, or the device went meanwhile: nothing holds the namespace
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == ControlPlane.class || type == TestNamespace.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == ControlPlane.class ? ControlPlane.shared()
                : context.getStore(STORE).get(TestNamespace.class, TestNamespace.class);
    }

    /**
     * A namespace for one test class.
     *
     * @param name   its name
     * @param client an admin client whose default namespace it is
     */
    public record TestNamespace(String name, KubernetesClient client) {
    }
}
