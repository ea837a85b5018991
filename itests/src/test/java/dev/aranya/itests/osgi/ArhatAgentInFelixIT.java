package dev.aranya.itests.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ops4j.pax.exam.CoreOptions.options;

import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.itests.support.DevicePki;
import dev.aranya.itests.support.RuntimeBundles;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Logs;
import dev.aranya.protocol.v1.PortForward;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.protocol.v1.TerminalSize;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Before;
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
 * The agent's bundles beside Aranya's in one Felix: the agent component, configured like etc/dev.aranya.arhat.cfg,
 * dials Aranya's raw TCP transport through the tcp CloudLink with its device certificate, comes online with the
 * host's node info, and serves streams opened through {@link DeviceSessions}: exec on a real pty (pty4j and its
 * native library inside OSGi), a command that does not exist, logs from a file, port-forward to a loopback port.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ArhatAgentInFelixIT {
    private static final DeviceId DEVICE = new DeviceId("it-arhat", "arhat-it-device");

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configurationAdmin;

    @Inject
    private DeviceSessions sessions;

    private Path work;
    private DeviceTransport transport;

    @Configuration
    public Option[] config() {
        return options(RuntimeBundles.all(), RuntimeBundles.agentBundles());
    }

    @Before
    public void connectTheAgent() throws Exception {
        work = Files.createTempDirectory("arhat-it");
        DevicePki pki = DevicePki.create(work.resolve("pki"), "localhost", "127.0.0.1");
        Path[] device = pki.device(DEVICE.namespace(), DEVICE.name());
        Files.writeString(work.resolve("device.log"), "2026-11-25T10:00:00Z booted\n2026-11-25T10:00:05Z sensor online\n");
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        update("dev.aranya.transport.tcp", "bindAddress", "127.0.0.1", "port", port, "tlsCertificate", pki.serverCertificate().toString(),
                "tlsKey", pki.serverKey().toString(), "clientCa", pki.ca().toString());
        transport = service(DeviceTransport.class, "(" + DeviceTransport.METHOD_PROPERTY + "=tcp)");
        EdgeDevice edgeDevice = new EdgeDevice();
        edgeDevice.setMetadata(new ObjectMetaBuilder().withNamespace(DEVICE.namespace()).withName(DEVICE.name()).build());
        transport.register(edgeDevice, sessions.connectionListener());

        update("dev.aranya.arhat", "deviceNamespace", DEVICE.namespace(), "deviceName", DEVICE.name(), "method", "tcp",
                "link.host", "localhost", "link.port", String.valueOf(port), "link.certificate", device[0].toString(),
                "link.key", device[1].toString(), "link.caCertificate", pki.ca().toString(),
                "logSource.device", "file:" + work.resolve("device.log"), "reconnectInitialMillis", 200, "reconnectMaxMillis", 1000);
    }

    @After
    public void disconnect() throws Exception {
        configurationAdmin.getConfiguration("dev.aranya.arhat", "?").delete();
        if (transport != null) {
            transport.unregister(DEVICE);
        }
        configurationAdmin.getConfiguration("dev.aranya.transport.tcp", "?").delete();
    }

    @Test
    public void theAgentComesOnlineAndServesExecLogsAndPortForward() throws Exception {
        DeviceSession session = awaitSession();
        assertThat(session.method()).isEqualTo("tcp");
        assertThat(session.nodeInfo().getHostname()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/hostname")).strip());
        assertThat(session.nodeInfo().getKernelVersion()).isNotBlank();

        Recorded tty = run(session, Frame.newBuilder().setExec(Exec.newBuilder().addCommand("sh").addCommand("-c")
                .addCommand("tty; stty size").setTty(true).setStdout(true)
                .setInitialSize(TerminalSize.newBuilder().setCols(120).setRows(40))).build());
        assertThat(tty.end.getExitCode()).isZero();
        assertThat(tty.output).contains("/dev/pts/").contains("40 120");

        Recorded missing = run(session, Frame.newBuilder().setExec(Exec.newBuilder().addCommand("no-such-tool").setStdout(true)).build());
        assertThat(missing.end.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_NOT_FOUND);
        assertThat(missing.end.getError().getMessage()).contains("no-such-tool: command not found");

        Recorded logs = run(session, Frame.newBuilder().setLogs(Logs.newBuilder().setContainer("device").setTailLines(1)).build());
        assertThat(logs.end.hasError()).isFalse();
        assertThat(logs.output).isEqualTo("2026-11-25T10:00:05Z sensor online\n");

        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread greeter = new Thread(() -> {
                try (Socket client = server.accept()) {
                    client.getOutputStream().write("hello from port\n".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            greeter.start();
            Recorded forwarded = new Recorded();
            DeviceStream stream = session.open(Frame.newBuilder().setPortForward(PortForward.newBuilder()
                    .setPort(server.getLocalPort()).setProtocol(PortForward.Protocol.PROTOCOL_TCP)).build(), forwarded);
            stream.halfClose(Channel.CHANNEL_PORT_DATA);
            forwarded.end = stream.ended().toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertThat(forwarded.end.hasError()).as(forwarded.end.toString()).isFalse();
            assertThat(forwarded.output).isEqualTo("hello from port\n");
            greeter.join(5000);
        }
    }

    @Test
    public void theAgentReconnectsByItselfWhenAranyaEndsItsSession() throws Exception {
        DeviceSession first = awaitSession();

        first.close("test: Aranya drops the agent");

        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Optional<DeviceSession> next = sessions.find(DEVICE);
        while ((next.isEmpty() || next.get() == first) && System.nanoTime() < until) {
            Thread.sleep(100);
            next = sessions.find(DEVICE);
        }
        assertThat(next).as("a new session of the agent").isPresent().get().isNotSameAs(first);
        assertThat(next.get().connectedAt()).isAfter(first.connectedAt());
    }

    private static Recorded run(DeviceSession session, Frame opening) throws Exception {
        Recorded recorded = new Recorded();
        recorded.end = session.open(opening, recorded).ended().toCompletableFuture().get(60, TimeUnit.SECONDS);
        return recorded;
    }

    /** What a stream sent, as a kubectl client would see it. */
    private static final class Recorded implements StreamListener {
        private final StringBuffer text = new StringBuffer();
        volatile String output = "";
        volatile StreamEnd end;

        @Override
        public void onData(Channel channel, ByteBuffer data) {
            text.append(StandardCharsets.UTF_8.decode(data));
            output = text.toString();
        }

        @Override
        public void onEnd(StreamEnd streamEnd) {
        }
    }

    private DeviceSession awaitSession() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Optional<DeviceSession> session = sessions.find(DEVICE);
        while (session.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(100);
            session = sessions.find(DEVICE);
        }
        assertThat(session).as("the agent's session").isPresent();
        return session.get();
    }

    private void update(String pid, Object... keysAndValues) throws IOException {
        Hashtable<String, Object> properties = new Hashtable<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        configurationAdmin.getConfiguration(pid, "?").update(properties);
    }

    private <T> T service(Class<T> type, String filter) throws Exception {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + type.getName() + ")" + filter + ")"), null);
        tracker.open();
        T service = tracker.waitForService(60_000); // generous: the framework may still be starting on a busy machine
        assertThat(service).as("%s service %s", type.getSimpleName(), filter).isNotNull();
        return service;
    }
}
