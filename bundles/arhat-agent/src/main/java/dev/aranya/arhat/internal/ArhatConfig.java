package dev.aranya.arhat.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The agent's configuration (etc/dev.aranya.arhat.cfg). Besides these attributes: {@code link.<key>} properties are
 * the connectivity method's settings (handed to its CloudLink without the prefix), and {@code logSource.<container>}
 * properties name the log source of a container name of the virtual pod.
 */
@ObjectClassDefinition(
        id = ArhatConfig.PID,
        name = "arhat device agent",
        description = "Which EdgeDevice this agent is, how it reaches Aranya, and how it does host work.")
@interface ArhatConfig {
    String PID = "dev.aranya.arhat";
    /** Prefix of the connectivity method's settings. */
    String LINK_PREFIX = "link.";
    /** Prefix of the log sources of named containers. */
    String LOG_SOURCE_PREFIX = "logSource.";

    @AttributeDefinition(name = "Device namespace", description = "Namespace of this device's EdgeDevice.")
    String deviceNamespace() default "";

    @AttributeDefinition(name = "Device name", description = "Name of this device's EdgeDevice (and of its Node).")
    String deviceName() default "";

    @AttributeDefinition(name = "Data directory",
            description = "Where the agent keeps what it must remember across restarts, such as the certificate it got by "
                    + "enrolment (device-identity/, key readable by the agent's user only); relative to the agent's folder.")
    String dataDirectory() default "data";

    @AttributeDefinition(name = "Connectivity method",
            description = "How the agent reaches Aranya: the method of an installed CloudLink (tcp, grpc, mqtt).")
    String method() default "tcp";

    @AttributeDefinition(name = "Default log source",
            description = "Logs of the virtual pod's default container: journal, journal:<unit> or file:<path> "
                    + "(relative to the agent's folder). logSource.<container>=... adds named containers.")
    String logSource() default "journal";

    @AttributeDefinition(name = "Attach shell",
            description = "Command line of the console kubectl attach joins. Empty: the agent user's shell ($SHELL) "
                    + "with -i, else /bin/sh -i.")
    String attachShell() default "";

    @AttributeDefinition(name = "Working directory",
            description = "Where exec and attach commands start. Empty: the agent user's home.")
    String workingDirectory() default "";

    @AttributeDefinition(name = "Kill grace (s)", description = "After a cancel's signal, how long before SIGKILL.", min = "0")
    int killGraceSeconds() default 5;

    @AttributeDefinition(name = "Port connect timeout (s)", min = "1")
    int portConnectTimeoutSeconds() default 10;

    @AttributeDefinition(name = "Log follow poll (ms)", description = "How often a followed log file is checked.", min = "50")
    int followPollMillis() default 250;

    @AttributeDefinition(name = "Filesystem", description = "Path on the filesystem reported as the Node's ephemeral storage.")
    String filesystemPath() default "/";

    @AttributeDefinition(name = "Reconnect: first delay (ms)", min = "100")
    int reconnectInitialMillis() default 1000;

    @AttributeDefinition(name = "Reconnect: longest delay (ms)", min = "100")
    int reconnectMaxMillis() default 60_000;

    @AttributeDefinition(name = "Reconnect: factor", description = "Each failed attempt multiplies the delay by this.")
    double reconnectFactor() default 2.0;

    @AttributeDefinition(name = "Reconnect: jitter",
            description = "Each delay is changed by a random amount of up to this fraction (0..1), so devices "
                    + "that lost Aranya together do not come back together.")
    double reconnectJitter() default 0.2;
}
