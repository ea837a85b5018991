package dev.aranya.kubelet.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.protocol.v1.MetricSample;
import dev.aranya.protocol.v1.MetricType;
import dev.aranya.protocol.v1.NodeStatus;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeStatusResponsesTest {
    private static MetricSample sample(String name, String peripheral, double value) {
        return MetricSample.newBuilder().setName(name).setType(MetricType.METRIC_TYPE_GAUGE)
                .putLabels("peripheral", peripheral).setValue(value).build();
    }

    @Test
    void eachMetricHasOneTypeLineAndItsSamplesTogether() {
        NodeStatus status = NodeStatus.newBuilder()
                .addMetrics(sample("temperature", "a", 21.5))
                .addMetrics(sample("speed", "plc", 1500))
                .addMetrics(sample("temperature", "b", 19)).build();

        String text = NodeStatusResponses.metrics(Optional.of(status));

        assertThat(text).contains("""
                # TYPE temperature gauge
                temperature{peripheral="a"} 21.5
                temperature{peripheral="b"} 19
                # TYPE speed gauge
                speed{peripheral="plc"} 1500
                """);
        assertThat(text.split("# TYPE temperature ", -1)).hasSize(2);
    }
}
