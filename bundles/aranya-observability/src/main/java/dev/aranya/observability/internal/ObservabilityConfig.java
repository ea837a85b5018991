package dev.aranya.observability.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(id = ObservabilityConfig.PID, name = "Aranya metrics and health endpoint",
        description = "HTTP endpoint with /metrics (Prometheus text format), /livez and /readyz for probes.")
@interface ObservabilityConfig {
    String PID = "dev.aranya.observability";

    @AttributeDefinition(name = "Bind address", description = "Address to listen on; 0.0.0.0 for all (probes reach "
            + "a host-network pod on the host's address)")
    String bindAddress() default "0.0.0.0";

    @AttributeDefinition(name = "Port", min = "0", max = "65535", description = "0 picks a free port (tests)")
    int port() default 9464;

    @AttributeDefinition(name = "Readiness cache (s)", min = "0",
            description = "How long an apiserver check answers /readyz before it is made again")
    int readinessCacheSeconds() default 5;
}
