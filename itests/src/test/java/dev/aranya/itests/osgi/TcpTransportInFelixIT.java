package dev.aranya.itests.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ops4j.pax.exam.CoreOptions.options;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.itests.support.RuntimeBundles;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.session.agent.AgentConnection;
import dev.aranya.session.agent.AgentEndpoint;
import dev.aranya.session.agent.AgentSettings;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The session layer and the raw TCP transport inside the runtime's Felix: configured through ConfigAdmin like
 * etc/dev.aranya.transport.tcp.cfg, the transport listens, and an agent endpoint dialling through the bundle's own
 * CloudLink over mutual TLS comes online and runs a stream. Certificates are made with the openssl CLI.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TcpTransportInFelixIT {
    private static final DeviceId DEVICE = new DeviceId("it-tcp", "tcp-it-device");

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configurationAdmin;

    @Inject
    private DeviceSessions sessions;

    @Configuration
    public Option[] config() {
        return options(RuntimeBundles.all());
    }

    @Test
    public void anAgentConnectsOverTheTcpTransportAndRunsAStream() throws Exception {
        Path pki = Files.createTempDirectory("aranya-tcp-it");
        openssl(pki, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=aranya-it-ca", "-days", "1");
        issue(pki, "server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        issue(pki, "device", "/O=" + DEVICE.namespace() + "/CN=" + DEVICE.name(), "extendedKeyUsage=clientAuth\n");
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        var configuration = configurationAdmin.getConfiguration("dev.aranya.transport.tcp", "?");
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("bindAddress", "127.0.0.1");
        properties.put("port", port);
        properties.put("tlsCertificate", pki.resolve("server.crt").toString());
        properties.put("tlsKey", pki.resolve("server.key").toString());
        properties.put("clientCa", pki.resolve("ca.crt").toString());
        configuration.update(properties);
        ScheduledExecutorService agentScheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            DeviceTransport transport = service(DeviceTransport.class);
            CloudLink link = service(CloudLink.class);
            EdgeDevice device = new EdgeDevice();
            device.setMetadata(new ObjectMetaBuilder().withNamespace(DEVICE.namespace()).withName(DEVICE.name()).build());
            transport.register(device, sessions.connectionListener());

            AgentEndpoint endpoint = new AgentEndpoint(AgentSettings.defaults(DEVICE, "it", Set.of(Capabilities.EXEC)),
                    new SayHello(), () -> NodeInfo.newBuilder().setHostname("it-host").build(),
                    NodeStatus::getDefaultInstance, agentScheduler);
            AgentConnection connection = endpoint.connect(link, Map.of("host", "localhost", "port", String.valueOf(port),
                    "certificate", pki.resolve("device.crt").toString(), "key", pki.resolve("device.key").toString(),
                    "caCertificate", pki.resolve("ca.crt").toString()));

            DeviceSession session = awaitSession(true).orElseThrow();
            assertThat(session.method()).isEqualTo("tcp");
            assertThat(session.nodeInfo().getHostname()).isEqualTo("it-host");
            StringBuilder stdout = new StringBuilder();
            DeviceStream stream = session.open(Frame.newBuilder().setExec(Exec.newBuilder().addCommand("hello")
                    .setStdout(true)).build(), new StreamListener() {
                        @Override
                        public void onData(Channel channel, ByteBuffer data) {
                            stdout.append(StandardCharsets.UTF_8.decode(data));
                        }

                        @Override
                        public void onEnd(StreamEnd end) {
                        }
                    });
            StreamEnd end = stream.ended().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(end.getExitCode()).isZero();
            assertThat(stdout.toString()).isEqualTo("hello from the device\n");

            connection.close("test done");
            assertThat(awaitSession(false)).isEmpty();
            transport.unregister(DEVICE);
        } finally {
            agentScheduler.shutdownNow();
            configuration.delete();
        }
    }

    private Optional<DeviceSession> awaitSession(boolean online) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sessions.find(DEVICE).isPresent() != online && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        return sessions.find(DEVICE);
    }

    private <T> T service(Class<T> type) throws Exception {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + type.getName() + ")(" + DeviceTransport.METHOD_PROPERTY + "=tcp))"), null);
        tracker.open();
        T service = tracker.waitForService(20_000);
        assertThat(service).as("%s service of the tcp transport", type.getSimpleName()).isNotNull();
        return service;
    }

    private static void issue(Path pki, String name, String subject, String extensions) throws Exception {
        Files.writeString(pki.resolve(name + ".ext"), extensions);
        openssl(pki, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", subject);
        openssl(pki, "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", name + ".crt", "-days", "1", "-extfile", name + ".ext");
    }

    private static void openssl(Path folder, String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("openssl %s: %s", arguments[0], output).isZero();
    }

    /** The agent's host: prints one line and exits 0. */
    private static final class SayHello implements HostStreams {
        @Override
        public AgentStreamListener open(Frame opening, AgentStream stream) {
            stream.accept();
            stream.write(Channel.CHANNEL_STDOUT, ByteBuffer.wrap("hello from the device\n".getBytes(StandardCharsets.UTF_8)));
            stream.end(StreamEnd.newBuilder().setExitCode(0).build());
            return new AgentStreamListener() {
                @Override
                public void onData(Channel channel, ByteBuffer data) {
                }

                @Override
                public void onCancel(Cancel cancel) {
                }

                @Override
                public void onConnectionLost(String reason) {
                }
            };
        }
    }
}
