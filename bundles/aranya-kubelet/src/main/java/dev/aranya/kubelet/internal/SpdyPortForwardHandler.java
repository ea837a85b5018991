package dev.aranya.kubelet.internal;

import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.PortForward;
import dev.aranya.protocol.v1.StreamEnd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * port-forward over SPDY ({@code portforward.k8s.io}): for each forwarded connection the client opens an error and
 * a data stream with the same {@code requestID} and {@code port} headers; once both are there, a device stream to
 * that port on the device's loopback carries the bytes. Any number of them, concurrently, on one connection.
 */
final class SpdyPortForwardHandler extends SpdyStreamServer {
    private static final Logger LOG = LoggerFactory.getLogger(SpdyPortForwardHandler.class);

    private final NodeEndpoint endpoint;
    private final String podName;
    private final Map<String, Forward> forwards = new HashMap<>();
    private final Map<Integer, Forward> byStream = new HashMap<>();

    SpdyPortForwardHandler(NodeEndpoint endpoint, String podName) {
        this.endpoint = endpoint;
        this.podName = podName;
    }

    /** One forwarded connection: a data and an error stream, and its device stream. */
    private final class Forward implements DeviceStreamBridge.ClientSide {
        private final String requestId;
        private final int port;
        private int dataStream;
        private int errorStream;
        private DeviceStreamBridge bridge;

        Forward(String requestId, int port) {
            this.requestId = requestId;
            this.port = port;
        }

        @Override
        public ChannelFuture send(Channel channel, ByteBuf data) {
            return SpdyPortForwardHandler.this.send(dataStream, data);
        }

        @Override
        public void outputClosed(Channel channel) {
            finish(dataStream);
        }

        @Override
        public void ended(StreamEnd end) {
            finish(dataStream);
            if (end.hasError()) {
                String message = "error forwarding port " + port + " to pod " + podName + ": "
                        + end.getError().getMessage();
                LOG.info("Kubelet {}: {}", endpoint.nodeName(), message);
                SpdyPortForwardHandler.this.send(errorStream, Unpooled.copiedBuffer(message, StandardCharsets.UTF_8));
            }
            finish(errorStream);
            forget(this);
        }
    }

    @Override
    protected void streamOpened(int streamId, Map<String, String> headers, boolean clientFinished) {
        String type = headers.getOrDefault("streamtype", "");
        int port;
        try {
            port = Integer.parseInt(headers.getOrDefault("port", ""));
        } catch (NumberFormatException notANumber) {
            port = 0;
        }
        if (!(type.equals("data") || type.equals("error")) || port < 1 || port > 65535) {
            LOG.info("Kubelet {}: refusing port-forward stream (streamType '{}', port '{}')", endpoint.nodeName(),
                    type, headers.get("port"));
            reset(streamId, SpdyStreamStatus.PROTOCOL_ERROR);
            return;
        }
        // clients before requestID paired the streams by id: the error stream is opened right before its data stream
        String requestId = headers.getOrDefault("requestid",
                "stream-" + (type.equals("error") ? streamId : streamId - 2));
        int requestedPort = port;
        Forward forward = forwards.computeIfAbsent(requestId, id -> new Forward(id, requestedPort));
        if (forward.port != port || (type.equals("data") ? forward.dataStream : forward.errorStream) != 0) {
            reset(streamId, SpdyStreamStatus.PROTOCOL_ERROR);
            return;
        }
        if (type.equals("data")) {
            forward.dataStream = streamId;
        } else {
            forward.errorStream = streamId;
        }
        byStream.put(streamId, forward);
        if (forward.dataStream != 0 && forward.errorStream != 0) {
            Frame opening = Frame.newBuilder().setPortForward(PortForward.newBuilder().setPort(port)
                    .setProtocol(PortForward.Protocol.PROTOCOL_TCP)).build();
            forward.bridge = DeviceStreamBridge.open(endpoint.session(), opening, ctx.channel().eventLoop(), gate,
                    forward);
        }
    }

    @Override
    protected void streamData(int streamId, ByteBuf data, boolean last) {
        Forward forward = byStream.get(streamId);
        if (forward == null || forward.bridge == null || streamId != forward.dataStream) {
            return;
        }
        forward.bridge.input(Channel.CHANNEL_PORT_DATA, data);
        if (last) {
            forward.bridge.inputClosed(Channel.CHANNEL_PORT_DATA);
        }
    }

    @Override
    protected void streamReset(int streamId) {
        Forward forward = byStream.get(streamId);
        if (forward != null) {
            if (forward.bridge != null) {
                forward.bridge.cancel("the client reset the port-forward stream");
            }
            forget(forward);
        }
    }

    @Override
    protected void clientGone(String reason) {
        for (Forward forward : new ArrayList<>(forwards.values())) {
            if (forward.bridge != null) {
                forward.bridge.cancel(reason);
            }
        }
        forwards.clear();
        byStream.clear();
    }

    private void forget(Forward forward) {
        forwards.remove(forward.requestId, forward);
        byStream.remove(forward.dataStream, forward);
        byStream.remove(forward.errorStream, forward);
    }
}
