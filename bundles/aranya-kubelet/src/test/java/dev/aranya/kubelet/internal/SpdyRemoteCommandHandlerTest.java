package dev.aranya.kubelet.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.api.kubelet.KubeletEndpoints.KubeletNode;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.StreamEnd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * exec over SPDY as kubectl's spdystream speaks it, through real SPDY/3.1 framing (compressed header blocks) on both
 * sides: stream creation, stdin to the device, device output to the client, the exit code on the error stream.
 */
class SpdyRemoteCommandHandlerTest {
    private final RecordingDevice device = new RecordingDevice();
    private final EmbeddedChannel server = new EmbeddedChannel();
    private final EmbeddedChannel client = new EmbeddedChannel(new SpdyFrameCodec(SpdyVersion.SPDY_3_1));

    private void start(String query, StreamProtocol protocol) {
        NodeEndpoint endpoint = new NodeEndpoint(new KubeletNode(device.device, "dev1", "pod", 10250), device, null,
                Duration.ofSeconds(30));
        RemoteCommandRequest request = RemoteCommandRequest.parse(
                KubeletPath.parse("/exec/ns/pod/host").orElseThrow(),
                new io.netty.handler.codec.http.QueryStringDecoder("/exec/ns/pod/host?" + query));
        server.pipeline().addLast(new SpdyFrameCodec(SpdyVersion.SPDY_3_1),
                new SpdyRemoteCommandHandler(endpoint, request, protocol));
    }

    private void clientSends(Object frame) {
        client.writeOutbound(frame);
        ByteBuf bytes;
        while ((bytes = client.readOutbound()) != null) {
            server.writeInbound(bytes);
        }
        server.runPendingTasks();
    }

    /** What the server sent, decoded by the client's codec. */
    private List<Object> serverSent() {
        server.runPendingTasks();
        ByteBuf bytes;
        while ((bytes = server.readOutbound()) != null) {
            client.writeInbound(bytes);
        }
        List<Object> frames = new ArrayList<>();
        Object frame;
        while ((frame = client.readInbound()) != null) {
            frames.add(frame);
        }
        return frames;
    }

    private void open(int id, String type) {
        DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
        syn.headers().set("streamtype", type);
        clientSends(syn);
    }

    private static Map<Integer, String> data(List<Object> frames) {
        Map<Integer, String> text = new TreeMap<>();
        for (Object frame : frames) {
            if (frame instanceof SpdyDataFrame data) {
                text.merge(data.streamId(), data.content().toString(StandardCharsets.UTF_8) + (data.isLast() ? "<FIN>" : ""),
                        String::concat);
                data.release();
            }
        }
        return text;
    }

    @Test
    void execRunsOnceAllStreamsExistAndReportsTheExitCode() {
        start("command=sh&command=-c&command=exit%203&input=1&output=1&error=1", StreamProtocol.V4);
        open(1, "error");
        open(3, "stdin");
        open(5, "stdout");
        assertThat(device.opened).as("the device stream waits for stderr").isEmpty();
        open(7, "stderr");

        List<Object> replies = serverSent();
        assertThat(replies).hasSize(4).allMatch(f -> f instanceof SpdySynReplyFrame);
        assertThat(device.opened).hasSize(1);
        assertThat(device.opened.get(0).getExec().getCommandList()).containsExactly("sh", "-c", "exit 3");

        DefaultSpdyDataFrame stdin = new DefaultSpdyDataFrame(3, Unpooled.copiedBuffer("hello", StandardCharsets.UTF_8));
        stdin.setLast(true);
        clientSends(stdin);
        assertThat(device.written.toString(StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(device.halfClosed).containsExactly(Channel.CHANNEL_STDIN);

        device.deliver(Channel.CHANNEL_STDOUT, "out");
        device.deliver(Channel.CHANNEL_STDERR, "err");
        Map<Integer, String> output = data(serverSent());
        assertThat(output.get(5)).isEqualTo("out");
        assertThat(output.get(7)).isEqualTo("err");
        assertThat(device.credited).as("output credited once the client connection took it").isEqualTo(6);

        device.end(StreamEnd.newBuilder().setExitCode(3).build());
        Map<Integer, String> end = data(serverSent());
        assertThat(end.get(5)).isEqualTo("<FIN>");
        assertThat(end.get(7)).isEqualTo("<FIN>");
        assertThat(end.get(1)).contains("\"status\":\"Failure\"").contains("\"reason\":\"NonZeroExitCode\"")
                .contains("{\"reason\":\"ExitCode\",\"message\":\"3\"}").endsWith("<FIN>");
    }

    @Test
    void stdinBeyondTheDeviceWindowWaitsWithReadingStopped() {
        start("command=cat&input=1&output=1", StreamProtocol.V4);
        open(1, "error");
        open(3, "stdin");
        open(5, "stdout");
        device.sendWindow = 3;

        clientSends(new DefaultSpdyDataFrame(3, Unpooled.copiedBuffer("abcdef", StandardCharsets.UTF_8)));
        assertThat(device.written.toString(StandardCharsets.UTF_8)).isEqualTo("abc");
        assertThat(server.config().isAutoRead()).isFalse();

        device.sendWindow = 10;
        device.listener().onWritable();
        server.runPendingTasks();
        assertThat(device.written.toString(StandardCharsets.UTF_8)).isEqualTo("abcdef");
        assertThat(server.config().isAutoRead()).isTrue();
    }

    @Test
    void theClientGoingAwayCancelsTheDeviceStream() {
        start("command=sleep&command=100&output=1", StreamProtocol.V4);
        open(1, "error");
        open(3, "stdout");
        server.close();
        assertThat(device.cancelled).containsExactly("the client closed the connection");
    }

    @Test
    void anOfflineDeviceEndsTheExecWithAMessage() {
        NodeEndpoint endpoint = new NodeEndpoint(new KubeletNode(new dev.aranya.api.transport.DeviceId("ns", "other"),
                "other", "pod", 10250), device, null, Duration.ofSeconds(30));
        RemoteCommandRequest request = RemoteCommandRequest.parse(KubeletPath.parse("/exec/ns/pod/host").orElseThrow(),
                new io.netty.handler.codec.http.QueryStringDecoder("/exec/ns/pod/host?command=true&output=1"));
        server.pipeline().addLast(new SpdyFrameCodec(SpdyVersion.SPDY_3_1),
                new SpdyRemoteCommandHandler(endpoint, request, StreamProtocol.V4));
        open(1, "error");
        open(3, "stdout");

        assertThat(data(serverSent()).get(1)).contains("the device is offline").endsWith("<FIN>");
    }
}
