package dev.aranya.kubelet.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.kubelet.internal.KubeletPath.Endpoint;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KubeletPathTest {

    @Test
    void podEndpointsNameNamespacePodAndContainerWithOrWithoutUid() {
        assertThat(KubeletPath.parse("/exec/ns/pod/c")).contains(new KubeletPath(Endpoint.EXEC, "ns", "pod", "c"));
        assertThat(KubeletPath.parse("/attach/ns/pod/uid-1/c"))
                .contains(new KubeletPath(Endpoint.ATTACH, "ns", "pod", "c"));
        assertThat(KubeletPath.parse("/portForward/ns/pod")).contains(new KubeletPath(Endpoint.PORT_FORWARD, "ns", "pod", ""));
        assertThat(KubeletPath.parse("/containerLogs/ns/pod/c"))
                .contains(new KubeletPath(Endpoint.CONTAINER_LOGS, "ns", "pod", "c"));
        assertThat(KubeletPath.parse("/stats/summary")).map(KubeletPath::endpoint).contains(Endpoint.STATS_SUMMARY);
        assertThat(KubeletPath.parse("/metrics/resource")).map(KubeletPath::endpoint).contains(Endpoint.METRICS_RESOURCE);
    }

    @Test
    void anythingElseIsUnknown() {
        assertThat(KubeletPath.parse("/")).isEmpty();
        assertThat(KubeletPath.parse("/exec/ns/pod")).isEmpty();
        assertThat(KubeletPath.parse("/configz/x")).isEmpty();
        assertThat(KubeletPath.parse("/run/ns/pod/c")).isEmpty();
    }

    @Test
    void terminalSizesAreReadAcrossFrames() {
        TerminalSizeDecoder decoder = new TerminalSizeDecoder();
        assertThat(decoder.feed(Unpooled.copiedBuffer("{\"Width\":80,", StandardCharsets.UTF_8))).isEmpty();
        assertThat(decoder.feed(Unpooled.copiedBuffer("\"Height\":24}{\"Width\":100,\"Height\":30}{\"x\":1}",
                StandardCharsets.UTF_8))).containsExactly(new TerminalSizeDecoder.Size(80, 24),
                new TerminalSizeDecoder.Size(100, 30));
    }
}
