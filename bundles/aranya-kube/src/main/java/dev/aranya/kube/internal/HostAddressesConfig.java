package dev.aranya.kube.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(
        id = HostAddressesConfig.PID,
        name = "Aranya host addresses",
        description = "The hostname and addresses of the Aranya host, which its devices' Nodes advertise and their "
                + "serving certificates carry. Aranya runs with host network: the kube-apiserver reaches the device "
                + "kubelet ports there.")
@interface HostAddressesConfig {
    String PID = "dev.aranya.host";

    @AttributeDefinition(name = "Hostname", required = false,
            description = "The host's name as Nodes advertise it. Empty: the system hostname.")
    String hostname() default "";

    @AttributeDefinition(name = "Addresses", required = false,
            description = "IP addresses to advertise, the preferred first. Empty: discovered from the network "
                    + "interfaces that are up (IPv4 before IPv6, loopback and link-local only when nothing else exists).")
    String[] addresses() default {};

    @AttributeDefinition(name = "Check interval (s)", min = "1",
            description = "How often discovered addresses are checked for changes; a change reissues serving "
                    + "certificates and updates Nodes.")
    int checkIntervalSeconds() default 30;
}
