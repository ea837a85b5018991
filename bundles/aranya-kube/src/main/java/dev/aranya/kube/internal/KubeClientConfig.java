package dev.aranya.kube.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(
        id = KubeClientConfig.PID,
        name = "Aranya Kubernetes client",
        description = "How Aranya reaches the cluster, and which namespace it serves.")
@interface KubeClientConfig {
    String PID = "dev.aranya.kube";

    @AttributeDefinition(name = "kubeconfig",
            description = "Path of a kubeconfig file. Empty: the in-cluster service account when Aranya runs in a "
                    + "Pod, otherwise $KUBECONFIG or ~/.kube/config.")
    String kubeconfig() default "";

    @AttributeDefinition(name = "Context", description = "kubeconfig context to use. Empty: its current context.")
    String context() default "";

    @AttributeDefinition(name = "Namespace",
            description = "Namespace whose EdgeDevices this instance serves. Empty: the namespace Aranya runs in "
                    + "(in-cluster), else the kubeconfig context's namespace, else 'default'.")
    String namespace() default "";

    @AttributeDefinition(name = "Request timeout (ms)", min = "1000")
    int requestTimeoutMillis() default 30_000;
}
