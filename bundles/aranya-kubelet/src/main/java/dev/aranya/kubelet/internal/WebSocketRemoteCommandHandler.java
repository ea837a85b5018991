package dev.aranya.kubelet.internal;

import dev.aranya.protocol.v1.Channel;
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
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * exec and attach over WebSocket: channel 0 stdin, 1 stdout, 2 stderr, 3 the end (a {@code metav1.Status} from v4
 * on), 4 resize; v5 adds channel 255, whose message {@code [0]} closes stdin.
 */
final class WebSocketRemoteCommandHandler extends ChannelInboundHandlerAdapter
        implements DeviceStreamBridge.ClientSide {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketRemoteCommandHandler.class);
    private static final int STDIN = 0;
    private static final int STDOUT = 1;
    private static final int STDERR = 2;
    private static final int ERROR = 3;
    private static final int RESIZE = 4;
    private static final int CLOSE = 255;
    private static final long CLOSE_GRACE_SECONDS = 5;

    private final NodeEndpoint endpoint;
    private final RemoteCommandRequest request;
    private final StreamProtocol protocol;
    private final WebSocketChannels channels;
    private final TerminalSizeDecoder sizes = new TerminalSizeDecoder();
    private ChannelHandlerContext ctx;
    private DeviceStreamBridge bridge;
    private boolean finished;

    WebSocketRemoteCommandHandler(NodeEndpoint endpoint, RemoteCommandRequest request, StreamProtocol protocol) {
        this.endpoint = endpoint;
        this.request = request;
        this.protocol = protocol;
        this.channels = new WebSocketChannels(protocol.base64());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        // like a kubelet: an empty message on the first channel the client reads tells it the stream is up
        int first = request.stdout() ? STDOUT : request.stderr() ? STDERR : ERROR;
        ctx.writeAndFlush(channels.encode(first, Unpooled.EMPTY_BUFFER));
        bridge = DeviceStreamBridge.open(endpoint.session(), request.opening(), ctx.channel().eventLoop(),
                new ReadGate(ctx.channel()), this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            } else if (msg instanceof CloseWebSocketFrame) {
                bridge.cancel("the client closed the WebSocket");
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                        .addListener(f -> ctx.close());
            } else if (msg instanceof WebSocketFrame frame && !(msg instanceof PongWebSocketFrame)) {
                channels.decode(frame, ctx.alloc()).ifPresent(message -> {
                    try {
                        received(message.channel(), message.payload());
                    } finally {
                        message.payload().release();
                    }
                });
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void received(int channel, ByteBuf payload) {
        switch (channel) {
            case STDIN -> {
                if (request.stdin()) {
                    bridge.input(Channel.CHANNEL_STDIN, payload);
                }
            }
            case RESIZE -> sizes.feed(payload).forEach(size -> bridge.resize(size.cols(), size.rows()));
            case CLOSE -> {
                if (protocol == StreamProtocol.V5_WEBSOCKET && payload.isReadable()
                        && payload.getUnsignedByte(payload.readerIndex()) == STDIN && request.stdin()) {
                    bridge.inputClosed(Channel.CHANNEL_STDIN);
                }
            }
            default -> LOG.debug("Kubelet {}: ignoring a message on channel {}", endpoint.nodeName(), channel);
        }
    }

    @Override
    public ChannelFuture send(Channel channel, ByteBuf data) {
        int number = channel == Channel.CHANNEL_STDERR ? STDERR : STDOUT;
        if (finished || (number == STDOUT && !request.stdout()) || (number == STDERR && !request.stderr())) {
            data.release();
            return ctx.newSucceededFuture();
        }
        return ctx.writeAndFlush(channels.encode(number, data));
    }

    @Override
    public void outputClosed(Channel channel) {
        // the channel protocols have no way to end one output; the end of the stream ends them all
    }

    @Override
    public void ended(StreamEnd end) {
        LOG.debug("Kubelet {}: {} ended: {}", endpoint.nodeName(), request.describe(), end);
        finished = true;
        RemoteCommandStatus.errorStreamBody(protocol.statusJson(), end, request.describe())
                .ifPresent(body -> ctx.write(channels.encode(ERROR, Unpooled.wrappedBuffer(body))));
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE));
        ctx.executor().schedule(() -> {
            ctx.close();
        }, CLOSE_GRACE_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        bridge.cancel("the client closed the connection");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.info("Kubelet {}: WebSocket from {} failed: {}", endpoint.nodeName(), ctx.channel().remoteAddress(),
                cause.toString());
        bridge.cancel("the connection failed");
        ctx.close();
    }
}
