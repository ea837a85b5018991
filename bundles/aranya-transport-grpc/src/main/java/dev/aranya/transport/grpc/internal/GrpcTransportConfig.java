package dev.aranya.transport.grpc.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The gRPC transport's server in Aranya (PID {@value #PID}); without this configuration it does not start. */
@ObjectClassDefinition(id = GrpcTransportConfig.PID, name = "Aranya gRPC transport",
        description = "The mutual-TLS gRPC server (/aranya.v1.AgentLink/Connect) that agents with spec.connectivity.method=grpc call")
@interface GrpcTransportConfig {
    String PID = "dev.aranya.transport.grpc";

    @AttributeDefinition(name = "Bind address", description = "Address to listen on; 0.0.0.0 for all")
    String bindAddress() default "0.0.0.0";

    @AttributeDefinition(name = "Port", min = "0", max = "65535", description = "TCP port agents connect to; 0 picks a free one")
    int port() default 10444;

    @AttributeDefinition(name = "Server certificate",
            description = "PEM file with Aranya's server certificate chain (leaf first) that agents verify")
    String tlsCertificate();

    @AttributeDefinition(name = "Server key", description = "PEM file with the server certificate's private key (PKCS#8)")
    String tlsKey();

    @AttributeDefinition(name = "Device CA file", required = false, description = "PEM file with the CA certificate(s) of an "
            + "operator's own PKI that issue device certificates (subject O=<namespace>, CN=<EdgeDevice name>). Empty: the "
            + "device CA of aranya-certs (DeviceIdentities, Secret aranya-device-ca), which also refuses revoked devices")
    String clientCa() default "";

    @AttributeDefinition(name = "Max frame size (bytes)", min = "16384", max = "16777216",
            description = "Largest frame (gRPC message) accepted from an agent; a larger one ends that call")
    int maxFrameSize() default 1048576;

    @AttributeDefinition(name = "Keepalive time (seconds)", min = "1",
            description = "HTTP/2 PING after this long without traffic, so a vanished agent is noticed")
    int keepaliveTimeSeconds() default 30;

    @AttributeDefinition(name = "Keepalive timeout (seconds)", min = "1",
            description = "A PING unanswered for this long ends the agent's connection")
    int keepaliveTimeoutSeconds() default 10;

    @AttributeDefinition(name = "Agent keepalive floor (seconds)", min = "1",
            description = "Agents may ping at most this often; faster ones are disconnected (too_many_pings)")
    int permitKeepaliveTimeSeconds() default 10;
}
