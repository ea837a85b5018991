package dev.aranya.transport.mqtt.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(id = MqttTransportConfig.PID, name = "Aranya MQTT transport",
        description = "Aranya's side of the mqtt connectivity method; broker settings come from each EdgeDevice.")
@interface MqttTransportConfig {
    String PID = "dev.aranya.transport.mqtt";

    @AttributeDefinition(description = "Largest frame accepted from an agent, in bytes (16 KiB to 16 MiB); frames "
            + "above the broker's packet size arrive in chunks and are reassembled up to this size")
    int maxFrameSize() default 1 << 20;
}
