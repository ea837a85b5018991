package dev.aranya.kubelet.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.kubelet.KubeletEndpoints.KubeletNode;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.StreamEnd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** port-forward in the kubelet's WebSocket channel form: port prefixes, data and error channels, the end. */
class WebSocketPortForwardHandlerTest {
    private final RecordingDevice device = new RecordingDevice();

    private static List<String> sent(EmbeddedChannel channel) {
        channel.runPendingTasks();
        List<String> messages = new ArrayList<>();
        WebSocketFrame frame;
        while ((frame = channel.readOutbound()) != null) {
            if (frame instanceof CloseWebSocketFrame) {
                messages.add("close");
            } else {
                ByteBuf content = frame.content();
                messages.add(content.getUnsignedByte(0) + ":" + ByteBufUtil.hexDump(content, 1, content.readableBytes() - 1));
            }
            frame.release();
        }
        return messages;
    }

    @Test
    void eachPortGetsADataAndAnErrorChannelStartingWithThePort() {
        NodeEndpoint endpoint = new NodeEndpoint(new KubeletNode(device.device, "dev1", "pod", 10250), device, null,
                Duration.ofSeconds(30));
        EmbeddedChannel channel = new EmbeddedChannel(
                new WebSocketPortForwardHandler(endpoint, "pod", List.of(8080), false));
        assertThat(sent(channel)).containsExactly("0:901f", "1:901f");
        assertThat(device.opened).singleElement().satisfies(f -> assertThat(f.getPortForward().getPort()).isEqualTo(8080));

        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {0, 'h', 'i'})));
        assertThat(device.written.toString(StandardCharsets.UTF_8)).isEqualTo("hi");

        device.deliver(Channel.CHANNEL_PORT_DATA, "ok");
        device.end(StreamEnd.newBuilder().setError(ErrorInfo.newBuilder().setCode(ErrorCode.ERROR_CODE_UNAVAILABLE)
                .setMessage("connection reset")).build());
        List<String> end = sent(channel);
        assertThat(end.get(0)).isEqualTo("0:6f6b");
        assertThat(end.get(1)).startsWith("1:").isEqualTo("1:" + ByteBufUtil.hexDump(
                "error forwarding port 8080 to pod pod: connection reset".getBytes(StandardCharsets.UTF_8)));
        assertThat(end.get(2)).isEqualTo("close");
    }

    @Test
    void portsQueryIsValidated() {
        assertThat(WebSocketPortForwardHandler.ports(List.of("80,8080", "9090"))).containsExactly(80, 8080, 9090);
        assertThatThrownBy(() -> WebSocketPortForwardHandler.ports(List.of())).hasMessageContaining("\"ports\" is required");
        assertThatThrownBy(() -> WebSocketPortForwardHandler.ports(List.of("70000"))).hasMessageContaining("'70000'");
    }
}
