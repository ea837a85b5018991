package dev.aranya.kubelet.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(
        id = KubeletConfig.PID,
        name = "Aranya kubelet endpoints",
        description = "The HTTPS kubelet API Aranya serves for each device's Node: address, client authentication, "
                + "authorization cache and stream timeouts.")
@interface KubeletConfig {
    String PID = "dev.aranya.kubelet";

    @AttributeDefinition(name = "Bind address",
            description = "Address the per-device kubelet ports listen on. The apiserver reaches them at the Node's "
                    + "address, so this must include it.")
    String bindAddress() default "0.0.0.0";

    @AttributeDefinition(name = "Client CA file",
            description = "PEM file of the CAs whose client certificates are accepted (the apiserver's "
                    + "--kubelet-client-certificate is signed by one). Empty: 'client-ca-file' of the ConfigMap "
                    + "kube-system/extension-apiserver-authentication.")
    String clientCaFile() default "";

    @AttributeDefinition(name = "Bearer tokens",
            description = "Accept bearer tokens, checked with a TokenReview.")
    boolean tokenAuthentication() default true;

    @AttributeDefinition(name = "Authenticated cache (s)", min = "0",
            description = "How long a successful TokenReview is reused.")
    int authenticatedCacheSeconds() default 120;

    @AttributeDefinition(name = "Authorized cache (s)", min = "0",
            description = "How long an allowing SubjectAccessReview is reused (a kubelet's default: 5 minutes).")
    int authorizedCacheSeconds() default 300;

    @AttributeDefinition(name = "Unauthorized cache (s)", min = "0",
            description = "How long a denying SubjectAccessReview is reused (a kubelet's default: 30 seconds).")
    int unauthorizedCacheSeconds() default 30;

    @AttributeDefinition(name = "Stream creation timeout (s)", min = "1",
            description = "How long an exec, attach or port-forward client may take to open its SPDY streams.")
    int streamCreationTimeoutSeconds() default 30;
}
