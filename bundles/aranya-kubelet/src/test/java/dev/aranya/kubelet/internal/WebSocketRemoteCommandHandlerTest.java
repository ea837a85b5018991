package dev.aranya.kubelet.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.kubelet.KubeletEndpoints.KubeletNode;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.StreamEnd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** exec over WebSocket: channel-prefixed messages, resize, v5 stdin close, the status on channel 3. */
class WebSocketRemoteCommandHandlerTest {
    private final RecordingDevice device = new RecordingDevice();

    private EmbeddedChannel start(StreamProtocol protocol, String query) {
        NodeEndpoint endpoint = new NodeEndpoint(new KubeletNode(device.device, "dev1", "pod", 10250), device, null,
                Duration.ofSeconds(30));
        RemoteCommandRequest request = RemoteCommandRequest.parse(KubeletPath.parse("/exec/ns/pod/c").orElseThrow(),
                new QueryStringDecoder("/exec/ns/pod/c?" + query));
        return new EmbeddedChannel(new WebSocketRemoteCommandHandler(endpoint, request, protocol));
    }

    private static BinaryWebSocketFrame message(int channel, String text) {
        return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) channel},
                text.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> sent(EmbeddedChannel channel) {
        channel.runPendingTasks();
        List<String> messages = new ArrayList<>();
        WebSocketFrame frame;
        while ((frame = channel.readOutbound()) != null) {
            if (frame instanceof CloseWebSocketFrame) {
                messages.add("close");
            } else {
                ByteBuf content = frame.content();
                String prefix = frame instanceof TextWebSocketFrame ? "text " : "";
                messages.add(prefix + content.getUnsignedByte(0) + ":"
                        + content.toString(1, content.readableBytes() - 1, StandardCharsets.UTF_8));
            }
            frame.release();
        }
        return messages;
    }

    @Test
    void v5CarriesStdinResizeAndStdinCloseAndEndsWithTheStatus() {
        EmbeddedChannel channel = start(StreamProtocol.V5_WEBSOCKET, "command=sh&input=1&output=1&tty=1");
        assertThat(sent(channel)).as("the empty message that tells the client the streams are up")
                .containsExactly("1:");

        channel.writeInbound(message(0, "ls\n"));
        channel.writeInbound(message(4, "{\"Width\":120,\"Height\":40}"));
        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) 255, 0})));
        assertThat(device.written.toString(StandardCharsets.UTF_8)).isEqualTo("ls\n");
        assertThat(device.resized).singleElement().satisfies(size -> assertThat(size).containsExactly(120, 40));
        assertThat(device.halfClosed).containsExactly(Channel.CHANNEL_STDIN);

        device.deliver(Channel.CHANNEL_STDOUT, "file\n");
        device.end(StreamEnd.newBuilder().setExitCode(0).build());
        assertThat(sent(channel)).containsExactly("1:file\n",
                "3:{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\"}", "close");
    }

    @Test
    void base64ProtocolEncodesEveryChannelAsText() {
        EmbeddedChannel channel = start(StreamProtocol.V4_BASE64, "command=cat&input=1&output=1");
        sent(channel);
        String stdin = Base64.getEncoder().encodeToString("hi".getBytes(StandardCharsets.UTF_8));
        channel.writeInbound(new TextWebSocketFrame("0" + stdin));
        assertThat(device.written.toString(StandardCharsets.UTF_8)).isEqualTo("hi");

        device.deliver(Channel.CHANNEL_STDOUT, "hi");
        channel.runPendingTasks();
        TextWebSocketFrame out = channel.readOutbound();
        assertThat(out.text()).isEqualTo("1" + stdin);
        out.release();
    }

    @Test
    void clientCloseCancelsTheDeviceStream() {
        EmbeddedChannel channel = start(StreamProtocol.V4, "command=sleep&output=1");
        channel.writeInbound(new CloseWebSocketFrame());
        assertThat(device.cancelled).containsExactly("the client closed the WebSocket");
    }
}
