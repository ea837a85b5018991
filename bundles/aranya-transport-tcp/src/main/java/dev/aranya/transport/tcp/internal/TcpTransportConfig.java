package dev.aranya.transport.tcp.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The raw TCP transport's server in Aranya (PID {@value #PID}); without this configuration it does not start. */
@ObjectClassDefinition(id = TcpTransportConfig.PID, name = "Aranya raw TCP transport",
        description = "The mutual-TLS server that agents with spec.connectivity.method=tcp dial")
@interface TcpTransportConfig {
    String PID = "dev.aranya.transport.tcp";

    @AttributeDefinition(name = "Bind address", description = "Address to listen on; 0.0.0.0 for all")
    String bindAddress() default "0.0.0.0";

    @AttributeDefinition(name = "Port", min = "0", max = "65535", description = "TCP port agents connect to")
    int port() default 10443;

    @AttributeDefinition(name = "Server certificate",
            description = "PEM file with Aranya's server certificate chain (leaf first) that agents verify")
    String tlsCertificate();

    @AttributeDefinition(name = "Server key", description = "PEM file with the server certificate's private key (PKCS#8)")
    String tlsKey();

    @AttributeDefinition(name = "Authentication", options = {
            @org.osgi.service.metatype.annotations.Option(value = "client-certificate", label = "client certificate (mutual TLS)")},
            description = "How devices prove who they are. client-certificate: a certificate issued by the trusted "
                    + "device CA (clientCa, else the DeviceIdentities device CA) whose subject is O=<namespace>, CN=<EdgeDevice name>")
    String auth() default "client-certificate";

    @AttributeDefinition(name = "Device CA file", required = false,
            description = "PEM file with the CA certificate(s) of an operator's own PKI that issue device certificates. Empty: "
                    + "the device CA of aranya-certs (DeviceIdentities, Secret aranya-device-ca), and agents may enrol with a bootstrap token")
    String clientCa() default "";

    @AttributeDefinition(name = "Max frame size (bytes)", min = "16384", max = "16777216",
            description = "Largest frame accepted from an agent; a longer one closes that connection")
    int maxFrameSize() default 1048576;

    @AttributeDefinition(name = "I/O threads", min = "1", description = "Netty event loop threads")
    int ioThreads() default 2;
}
