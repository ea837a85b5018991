package dev.aranya.arhat.internal;

import static dev.aranya.arhat.internal.RecordingStream.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.PortForward;
import dev.aranya.protocol.v1.StreamEnd;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PortForwardStreamTest {
    private final HostStreamsComponent hosts = TestHosts.hosts();

    @AfterEach
    void stop() throws InterruptedException {
        hosts.deactivate();
    }

    private RecordingStream forward(int port) {
        return TestHosts.open(hosts, Frame.newBuilder().setStreamId(1).setPortForward(PortForward.newBuilder()
                .setPort(port).setProtocol(PortForward.Protocol.PROTOCOL_TCP)).build(), new RecordingStream());
    }

    /** Echoes what it reads until the client half-closes, then closes its own output. */
    private static Thread echoOnce(ServerSocket server) {
        Thread echo = new Thread(() -> {
            try (Socket client = server.accept()) {
                client.getInputStream().transferTo(client.getOutputStream());
                client.shutdownOutput();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        echo.start();
        return echo;
    }

    @Test
    void bytesGoBothWaysAndEachSideHalfCloses() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread echo = echoOnce(server);
            RecordingStream stream = forward(server.getLocalPort());
            await(stream::accepted, "the connection");

            stream.listener().onData(Channel.CHANNEL_PORT_DATA, ByteBuffer.wrap("ping".getBytes(StandardCharsets.UTF_8)));
            await(() -> stream.text(Channel.CHANNEL_PORT_DATA).equals("ping"), "the echo");
            assertThat(stream.hasEnded()).isFalse();

            stream.listener().onHalfClose(Channel.CHANNEL_PORT_DATA);
            assertThat(stream.awaitEnd()).isEqualTo(StreamEnd.getDefaultInstance());
            assertThat(stream.halfClosed()).containsExactly(Channel.CHANNEL_PORT_DATA);
            assertThat(stream.consumedBytes()).isEqualTo(4);
            echo.join(5000);
        }
    }

    @Test
    void aRefusedPortEndsTheStreamNamingThePort() throws Exception {
        int port;
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = unused.getLocalPort();
        }
        RecordingStream stream = forward(port);

        StreamEnd end = stream.awaitEnd();
        assertThat(end.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_NOT_FOUND);
        assertThat(end.getError().getMessage()).contains("127.0.0.1:" + port).contains("refused");
        assertThat(stream.accepted()).isFalse();
    }

    @Test
    void aPortOutOfRangeIsABadRequest() throws Exception {
        assertThat(forward(70000).awaitEnd().getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_BAD_REQUEST);
    }
}
