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

    @AttributeDefinition(name = "Request retries", min = "0",
            description = "Retries of a failed API request, 100 ms apart doubling each time. Aranya's loops retry on "
                    + "their own, so a few keep an unreachable apiserver from holding its workers for long "
                    + "(fabric8's default of 10 holds a request for about 100 s).")
    int requestRetries() default 3;
}
