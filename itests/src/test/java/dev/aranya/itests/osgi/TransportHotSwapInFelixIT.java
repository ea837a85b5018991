package dev.aranya.itests.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.api.model.ConnectivitySpec;
import dev.aranya.api.model.EdgeDevice;
import dev.aranya.api.model.EdgeDeviceSpec;
import dev.aranya.api.model.MqttSpec;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.DeviceTransport;
import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.DevicePki;
import dev.aranya.itests.support.MosquittoBroker;
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
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
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
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The transport swap of TransportsE2E inside the runtime's Felix, with in-process agents: a device on the TCP
 * transport and one on the MQTT transport (through a real Mosquitto) online at once, each with an open echo stream.
 * Stopping the MQTT bundle ends only the MQTT device's session and stream, with a clear reason; the TCP device's
 * session and stream carry on untouched; starting the bundle again serves the MQTT device again, and updating it
 * leaves the TCP device alone too. (Nodes and their Ready condition are TransportsE2E's part: here the test registers
 * the devices with the transports as the controller would.)
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TransportHotSwapInFelixIT {
    private static final String KUBECONFIG = "aranya.it.kubeconfig";
    private static final String MQTT_BUNDLE = "dev.aranya.transport.mqtt";

    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configurationAdmin;

    @Inject
    private DeviceSessions sessions;

    private final String namespace = "it-swap-" + UUID.randomUUID().toString().substring(0, 6);
    private final List<AutoCloseable> cleanUp = new ArrayList<>();
    private ScheduledExecutorService agentScheduler;
    private Path work;
    private DevicePki pki;
    private MosquittoBroker broker;
    private int tcpPort;

    @Configuration
    public Option[] config() {
        return options(RuntimeBundles.all(),
                systemProperty(KUBECONFIG).value(ControlPlane.shared().kubeconfig().toString()),
                // a loaded machine starts the runtime's hundred bundles slowly
                systemTimeout(120_000),
                // the kube configuration below restarts the client's dependents at once: on a loaded 2-core machine one
                // of them may hold SCR's lock longer than its default 5 s
                frameworkProperty("ds.lock.timeout.milliseconds").value("60000"),
                // as in KubeletKubectlIT: fabric8 must not reach this JVM's class path, JFR (Netty's allocators) must
                frameworkProperty("felix.bootdelegation.implicit").value("false"),
                frameworkProperty("org.osgi.framework.bootdelegation").value("jdk.jfr,jdk.jfr.*"));
    }

    @Before
    public void configureTransports() throws Exception {
        work = Files.createTempDirectory("aranya-swap-it");
        pki = DevicePki.create(work.resolve("pki"), "127.0.0.1", "localhost");
        broker = MosquittoBroker.start(work.resolve("mosquitto"));
        agentScheduler = Executors.newScheduledThreadPool(2);
        try (ServerSocket probe = new ServerSocket(0)) {
            tcpPort = probe.getLocalPort();
        }
        // the MQTT transport reads broker credentials through the Kubernetes client, so it runs only with one
        configure("dev.aranya.kube", Map.of("kubeconfig", System.getProperty(KUBECONFIG), "namespace", namespace));
        configure("dev.aranya.transport.tcp", Map.of("bindAddress", "127.0.0.1", "port", tcpPort,
                "tlsCertificate", pki.serverCertificate().toString(), "tlsKey", pki.serverKey().toString(),
                "clientCa", pki.ca().toString()));
        KubernetesClient client = service(KubernetesClient.class, "(aranya.namespace=" + namespace + ")");
        // fabric8 resolves classes through the thread context class loader: this thread runs as a bundle's would
        ClassLoader testLoader = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(client.getClass().getClassLoader());
        try {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
                    .build()).create();
        } finally {
            Thread.currentThread().setContextClassLoader(testLoader);
        }
        cleanUp.add(() -> {
            Thread.currentThread().setContextClassLoader(client.getClass().getClassLoader());
            try {
                client.namespaces().withName(namespace).delete();
            } finally {
                Thread.currentThread().setContextClassLoader(testLoader);
            }
        });
    }

    @After
    public void stop() throws Exception {
        for (AutoCloseable closeable : cleanUp) {
            closeable.close();
        }
        if (agentScheduler != null) {
            agentScheduler.shutdownNow();
        }
        if (broker != null) {
            broker.close();
        }
        configurationAdmin.getConfiguration("dev.aranya.transport.tcp", "?").delete();
        configurationAdmin.getConfiguration("dev.aranya.kube", "?").delete();
    }

    @Test
    public void stoppingStartingAndUpdatingTheMqttBundleTouchesOnlyItsDevice() throws Exception {
        DeviceId tcpDevice = new DeviceId(namespace, "swap-tcp");
        DeviceId mqttDevice = new DeviceId(namespace, "swap-mqtt");
        String topics = "aranya/" + namespace + "/swap-mqtt";
        MqttSpec mqtt = new MqttSpec(broker.address(), topics, null, "5", null, null, null, null, null);

        service(DeviceTransport.class, "(aranya.transport.method=tcp)").register(device(tcpDevice, "tcp", null),
                sessions.connectionListener());
        connectAgent(tcpDevice, "tcp", tcpLinkSettings(tcpDevice));
        DeviceSession tcpSession = awaitSession(tcpDevice);
        EchoStream tcpStream = EchoStream.open(tcpSession);
        tcpStream.roundTrip("before the swap");

        Bundle mqttBundle = bundle(MQTT_BUNDLE);
        serveMqttDevice(mqttDevice, mqtt);
        AgentConnection mqttAgent = connectAgent(mqttDevice, "mqtt", mqttLinkSettings(mqttDevice, topics));
        EchoStream mqttStream = EchoStream.open(awaitSession(mqttDevice));
        mqttStream.roundTrip("over mqtt");

        mqttBundle.stop();

        StreamEnd mqttEnd = mqttStream.ended.get(20, TimeUnit.SECONDS);
        assertThat(mqttEnd.hasError()).as("the MQTT stream ends with an error").isTrue();
        assertThat(mqttEnd.getError().getMessage()).contains("the MQTT transport is stopping");
        await("the MQTT device offline", () -> sessions.find(mqttDevice).isEmpty(), 20);
        assertThat(sessions.find(tcpDevice)).as("the TCP device's session").containsSame(tcpSession);
        tcpStream.roundTrip("during the swap");
        mqttAgent.close("the test reconnects it");

        mqttBundle.start();
        serveMqttDevice(mqttDevice, mqtt);
        connectAgent(mqttDevice, "mqtt", mqttLinkSettings(mqttDevice, topics));
        EchoStream.open(awaitSession(mqttDevice)).roundTrip("over mqtt again");
        assertThat(sessions.find(tcpDevice)).containsSame(tcpSession);

        mqttBundle.update();
        await("the updated MQTT bundle active", () -> bundle(MQTT_BUNDLE).getState() == Bundle.ACTIVE, 30);
        await("the MQTT device offline after the update", () -> sessions.find(mqttDevice).isEmpty(), 20);
        assertThat(sessions.find(tcpDevice)).as("the TCP device's session after the update").containsSame(tcpSession);
        tcpStream.roundTrip("after the update");
        assertThat(tcpStream.ended).isNotDone();
    }

    /** What the controller does when a transport (re)appears: registers the device with it. */
    private void serveMqttDevice(DeviceId device, MqttSpec mqtt) throws Exception {
        service(DeviceTransport.class, "(aranya.transport.method=mqtt)").register(device(device, "mqtt", mqtt),
                sessions.connectionListener());
    }

    private AgentConnection connectAgent(DeviceId device, String method, Map<String, String> settings) throws Exception {
        AgentEndpoint endpoint = new AgentEndpoint(
                AgentSettings.defaults(device, "it", Set.of(Capabilities.EXEC)), new EchoHost(),
                () -> NodeInfo.newBuilder().setHostname(device.name()).build(), NodeStatus::getDefaultInstance,
                agentScheduler);
        CloudLink link = service(CloudLink.class, "(aranya.transport.method=" + method + ")");
        // the MQTT transport subscribes in the background: the agent retries until Aranya answers, as arhat does
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            AgentConnection connection;
            try {
                connection = endpoint.connect(link, settings);
            } catch (IOException e) {
                // e.g. a transport just subscribed sees the agent's retained presence before its Hello: start over
                assertThat(System.nanoTime()).as(device + " online within 30 s, last: " + e.getMessage()).isLessThan(deadline);
                Thread.sleep(200);
                continue;
            }
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (sessions.find(device).isEmpty() && System.nanoTime() < waitUntil) {
                Thread.sleep(100);
            }
            if (sessions.find(device).isPresent()) {
                cleanUp.add(() -> connection.close("test over"));
                return connection;
            }
            connection.close("no answer yet");
            assertThat(System.nanoTime()).as(device + " online within 30 s").isLessThan(deadline);
        }
    }

    private Map<String, String> tcpLinkSettings(DeviceId device) throws Exception {
        Path[] certificate = pki.device(device.namespace(), device.name());
        return Map.of("host", "localhost", "port", String.valueOf(tcpPort), "certificate", certificate[0].toString(),
                "key", certificate[1].toString(), "caCertificate", pki.ca().toString());
    }

    private Map<String, String> mqttLinkSettings(DeviceId device, String topics) {
        return Map.of("broker", broker.address(), "topicNamespace", topics,
                "version", "5", "deviceNamespace", device.namespace(), "deviceName", device.name());
    }

    private static EdgeDevice device(DeviceId id, String method, MqttSpec mqtt) {
        EdgeDevice device = new EdgeDevice();
        device.setMetadata(new ObjectMetaBuilder().withNamespace(id.namespace()).withName(id.name()).build());
        device.setSpec(new EdgeDeviceSpec(new ConnectivitySpec(method, null, null, mqtt, null, null), null, null, null));
        return device;
    }

    private DeviceSession awaitSession(DeviceId device) throws InterruptedException {
        await(device + " online", () -> sessions.find(device).isPresent(), 30);
        return sessions.find(device).orElseThrow();
    }

    private void configure(String pid, Map<String, Object> properties) throws Exception {
        configurationAdmin.getConfiguration(pid, "?").update(new Hashtable<>(properties));
    }

    private Bundle bundle(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError(symbolicName + " is not installed"));
    }

    /** The service, held until the test ends: a delayed component whose last user lets go is deactivated. */
    private <T> T service(Class<T> type, String filter) throws Exception {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + type.getName() + ")" + filter + ")"), null);
        tracker.open();
        cleanUp.add(tracker::close);
        T service = tracker.waitForService(30_000);
        assertThat(service).as("%s service %s", type.getSimpleName(), filter).isNotNull();
        return service;
    }

    private static void await(String what, BooleanSupplier condition, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within " + seconds + " s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** The device's side of an echo stream: whatever arrives on stdin goes back on stdout. */
    private static final class EchoHost implements HostStreams {
        @Override
        public AgentStreamListener open(Frame opening, AgentStream stream) {
            stream.accept();
            return new AgentStreamListener() {
                @Override
                public void onData(Channel channel, ByteBuffer data) {
                    int bytes = data.remaining();
                    stream.write(Channel.CHANNEL_STDOUT, data);
                    stream.consumed(bytes);
                }

                @Override
                public void onCancel(Cancel cancel) {
                    stream.end(StreamEnd.getDefaultInstance());
                }

                @Override
                public void onConnectionLost(String reason) {
                }
            };
        }
    }

    /** Aranya's side of an echo stream: a line written comes back. */
    private static final class EchoStream implements StreamListener {
        final CompletableFuture<StreamEnd> ended = new CompletableFuture<>();
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private DeviceStream stream;

        static EchoStream open(DeviceSession session) throws Exception {
            EchoStream echo = new EchoStream();
            echo.stream = session.open(Frame.newBuilder().setExec(Exec.newBuilder().addCommand("cat").setStdin(true)
                    .setStdout(true)).build(), echo);
            echo.stream.accepted().toCompletableFuture().get(20, TimeUnit.SECONDS);
            return echo;
        }

        void roundTrip(String text) throws InterruptedException {
            byte[] line = (text + "\n").getBytes(StandardCharsets.UTF_8);
            int before;
            synchronized (received) {
                before = received.size();
            }
            stream.write(Channel.CHANNEL_STDIN, ByteBuffer.wrap(line));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (true) {
                synchronized (received) {
                    if (received.size() >= before + line.length) {
                        assertThat(new String(received.toByteArray(), before, line.length, StandardCharsets.UTF_8))
                                .isEqualTo(text + "\n");
                        return;
                    }
                }
                assertThat(System.nanoTime()).as("'" + text + "' echoed within 20 s").isLessThan(deadline);
                Thread.sleep(50);
            }
        }

        @Override
        public void onData(Channel channel, ByteBuffer data) {
            int bytes = data.remaining();
            byte[] copy = new byte[bytes];
            data.get(copy);
            synchronized (received) {
                received.writeBytes(copy);
            }
            stream.consumed(bytes);
        }

        @Override
        public void onEnd(StreamEnd end) {
            ended.complete(end);
        }
    }
}
