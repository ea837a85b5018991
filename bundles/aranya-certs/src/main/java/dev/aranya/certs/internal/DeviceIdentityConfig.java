package dev.aranya.certs.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(
        id = DeviceIdentityConfig.PID,
        name = "Aranya device identities",
        description = "The device CA that issues the agents' client certificates for the transports' mutual TLS.")
@interface DeviceIdentityConfig {
    String PID = "dev.aranya.certs.devices";

    @AttributeDefinition(name = "Device CA Secret", description = "Secret (in the served namespace) holding the device CA; made when missing.")
    String caSecret() default "aranya-device-ca";

    @AttributeDefinition(name = "Device CA validity (days)", min = "1")
    int caValidityDays() default 3650;

    @AttributeDefinition(name = "Device certificate validity (days)", min = "1",
            description = "Agents renew over their authenticated connection before this passes.")
    int certificateValidityDays() default 90;

    @AttributeDefinition(name = "Bootstrap token validity (hours)", min = "1",
            description = "A bootstrap token without an aranya.arhat.dev/expires annotation expires this long after its Secret was made.")
    int bootstrapTokenValidityHours() default 24;

    @AttributeDefinition(name = "Device CA re-read (s)", min = "1",
            description = "How often the device CA's Secret is read again while in use, so that a replaced CA is used without a restart.")
    int caRefreshSeconds() default 60;
}
