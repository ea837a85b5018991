package dev.aranya.kubelet.internal;

import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.PortForward;
import dev.aranya.protocol.v1.StreamEnd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * port-forward in the kubelet's channel form over WebSocket: one connection to each port of the {@code ports}
 * query; port {@code i} has data channel {@code 2i} and error channel {@code 2i+1}, each starting with the port as
 * two little-endian bytes from the server. The WebSocket closes when every port's connection has ended.
 */
final class WebSocketPortForwardHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketPortForwardHandler.class);

    private final NodeEndpoint endpoint;
    private final String podName;
    private final List<Integer> ports;
    private final WebSocketChannels channels;
    private final List<PortConnection> connections = new ArrayList<>();
    private ChannelHandlerContext ctx;
    private int open;

    WebSocketPortForwardHandler(NodeEndpoint endpoint, String podName, List<Integer> ports, boolean base64) {
        this.endpoint = endpoint;
        this.podName = podName;
        this.ports = List.copyOf(ports);
        this.channels = new WebSocketChannels(base64);
    }

    /** The {@code ports} query: at least one port, each 1..65535; a bad one throws with the message for a 400. */
    static List<Integer> ports(List<String> values) {
        List<Integer> ports = new ArrayList<>();
        for (String value : StreamProtocol.split(values)) {
            try {
                int port = Integer.parseInt(value);
                if (port >= 1 && port <= 65535) {
                    ports.add(port);
                    continue;
                }
            } catch (NumberFormatException notANumber) {
                // reported below
            }
            throw new IllegalArgumentException("invalid port '" + value + "' in the ports query parameter");
        }
        if (ports.isEmpty()) {
            throw new IllegalArgumentException("query parameter \"ports\" is required");
        }
        return ports;
    }

    private final class PortConnection implements DeviceStreamBridge.ClientSide {
        private final int index;
        private final int port;
        private DeviceStreamBridge bridge;

        PortConnection(int index, int port) {
            this.index = index;
            this.port = port;
        }

        @Override
        public ChannelFuture send(Channel channel, ByteBuf data) {
            return ctx.writeAndFlush(channels.encode(2 * index, data));
        }

        @Override
        public void outputClosed(Channel channel) {
            // the channel form cannot end one direction; the end of the stream ends the port
        }

        @Override
        public void ended(StreamEnd end) {
            if (end.hasError()) {
                String message = "error forwarding port " + port + " to pod " + podName + ": "
                        + end.getError().getMessage();
                LOG.info("Kubelet {}: {}", endpoint.nodeName(), message);
                ctx.writeAndFlush(channels.encode(2 * index + 1, Unpooled.copiedBuffer(message, StandardCharsets.UTF_8)));
            }
            if (--open == 0) {
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                        .addListener(done -> ctx.close());
            }
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ReadGate gate = new ReadGate(ctx.channel());
        for (int i = 0; i < ports.size(); i++) {
            int port = ports.get(i);
            byte[] prefix = {(byte) port, (byte) (port >> 8)};
            ctx.write(channels.encode(2 * i, Unpooled.wrappedBuffer(prefix)));
            ctx.write(channels.encode(2 * i + 1, Unpooled.wrappedBuffer(prefix)));
            PortConnection connection = new PortConnection(i, port);
            connections.add(connection);
            open++;
        }
        ctx.flush();
        for (PortConnection connection : connections) {
            Frame opening = Frame.newBuilder().setPortForward(PortForward.newBuilder().setPort(connection.port)
                    .setProtocol(PortForward.Protocol.PROTOCOL_TCP)).build();
            connection.bridge = DeviceStreamBridge.open(endpoint.session(), opening, ctx.channel().eventLoop(), gate,
                    connection);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            } else if (msg instanceof CloseWebSocketFrame) {
                cancelAll("the client closed the WebSocket");
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                        .addListener(done -> ctx.close());
            } else if (msg instanceof WebSocketFrame frame && !(msg instanceof PongWebSocketFrame)) {
                channels.decode(frame, ctx.alloc()).ifPresent(message -> {
                    try {
                        int index = message.channel() / 2;
                        if (message.channel() % 2 == 0 && index < connections.size()) {
                            connections.get(index).bridge.input(Channel.CHANNEL_PORT_DATA, message.payload());
                        }
                    } finally {
                        message.payload().release();
                    }
                });
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void cancelAll(String reason) {
        for (PortConnection connection : connections) {
            connection.bridge.cancel(reason);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelAll("the client closed the connection");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.info("Kubelet {}: port-forward WebSocket from {} failed: {}", endpoint.nodeName(),
                ctx.channel().remoteAddress(), cause.toString());
        cancelAll("the connection failed");
        ctx.close();
    }
}
