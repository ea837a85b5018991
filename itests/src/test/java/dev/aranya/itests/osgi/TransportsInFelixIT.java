package dev.aranya.itests.osgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.ops4j.pax.exam.CoreOptions.options;

import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.itests.support.RuntimeBundles;
import dev.aranya.protocol.v1.Frame;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/** The MQTT and gRPC transport bundles in the runtime's Felix: active, their components known, their clients working. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TransportsInFelixIT {
    @Inject
    private BundleContext context;

    @Inject
    private ServiceComponentRuntime scr;

    @Configuration
    public Option[] config() {
        return options(RuntimeBundles.all());
    }

    @Test
    public void transportBundlesAreActiveWithBothSidesOfTheirMethod() throws Exception {
        for (String name : List.of("dev.aranya.transport.mqtt", "dev.aranya.transport.grpc")) {
            Bundle bundle = Arrays.stream(context.getBundles()).filter(b -> name.equals(b.getSymbolicName()))
                    .findFirst().orElseThrow(() -> new AssertionError(name + " is not installed"));
            assertThat(bundle.getState()).as(name + " state").isEqualTo(Bundle.ACTIVE);
            assertThat(scr.getComponentDescriptionDTOs(bundle)).extracting(d -> d.name.substring(d.name.lastIndexOf('.') + 1))
                    .as(name + " components")
                    .containsExactlyInAnyOrder(name.endsWith("mqtt") ? new String[] {"MqttDeviceTransport", "MqttCloudLink"}
                            : new String[] {"GrpcDeviceTransport", "GrpcCloudLink"});
        }
        assertThat(cloudLink("mqtt").method()).isEqualTo("mqtt");
        assertThat(cloudLink("grpc").method()).isEqualTo("grpc");
    }

    @Test
    public void theMqttLinkRunsItsEmbeddedPahoClientsInsideFelix() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        for (String version : List.of("3.1.1", "5")) {
            Map<String, String> settings = Map.of("broker", "127.0.0.1:" + closedPort, "topicNamespace", "it/dev-1",
                    "version", version, "deviceNamespace", "edge", "deviceName", "dev-1");
            // a class or ServiceLoader lookup Paho could not make in OSGi would fail differently
            assertThatThrownBy(() -> cloudLink("mqtt").connect(settings, new FrameHandler() {
                @Override public void onFrame(Frame frame) { }
                @Override public void onClosed(String reason) { }
            })).as("MQTT " + version).isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot connect to MQTT broker tcp://127.0.0.1:" + closedPort);
        }
    }

    private CloudLink cloudLink(String method) throws Exception {
        Collection<ServiceReference<CloudLink>> references =
                context.getServiceReferences(CloudLink.class, "(aranya.transport.method=" + method + ")");
        assertThat(references).as("CloudLink services of " + method).hasSize(1);
        return context.getService(references.iterator().next());
    }
}
