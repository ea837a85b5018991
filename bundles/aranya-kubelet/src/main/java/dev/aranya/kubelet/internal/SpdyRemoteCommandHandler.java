package dev.aranya.kubelet.internal;

import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.StreamEnd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * exec and attach over SPDY ({@code v4.channel.k8s.io} ... {@code channel.k8s.io}): the client opens an error
 * stream and one stream per requested stdin/stdout/stderr (and resize with a TTY from v3 on), named by their
 * {@code streamType} header; once all are there the device stream opens.
 */
final class SpdyRemoteCommandHandler extends SpdyStreamServer implements DeviceStreamBridge.ClientSide {
    private static final Logger LOG = LoggerFactory.getLogger(SpdyRemoteCommandHandler.class);

    enum StreamType { ERROR, STDIN, STDOUT, STDERR, RESIZE }

    private final NodeEndpoint endpoint;
    private final RemoteCommandRequest request;
    private final StreamProtocol protocol;
    private final Map<StreamType, Integer> streams = new EnumMap<>(StreamType.class);
    private final Map<Integer, StreamType> types = new HashMap<>();
    private final TerminalSizeDecoder sizes = new TerminalSizeDecoder();
    private ScheduledFuture<?> creationTimeout;
    private DeviceStreamBridge bridge;

    SpdyRemoteCommandHandler(NodeEndpoint endpoint, RemoteCommandRequest request, StreamProtocol protocol) {
        this.endpoint = endpoint;
        this.request = request;
        this.protocol = protocol;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        super.handlerAdded(ctx);
        creationTimeout = ctx.executor().schedule(this::creationTimedOut,
                endpoint.streamCreationTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void creationTimedOut() {
        if (bridge != null) {
            return;
        }
        String message = "timed out waiting for the client to create streams " + expected()
                + " (it created " + streams.keySet() + ")";
        LOG.info("Kubelet {}: {} {}", endpoint.nodeName(), request.describe(), message);
        Integer error = streams.get(StreamType.ERROR);
        if (error != null) {
            send(error, Unpooled.copiedBuffer(message, java.nio.charset.StandardCharsets.UTF_8));
            finish(error);
        }
        closeSoon();
    }

    private java.util.Set<StreamType> expected() {
        java.util.Set<StreamType> expected = java.util.EnumSet.of(StreamType.ERROR);
        if (request.stdin()) {
            expected.add(StreamType.STDIN);
        }
        if (request.stdout()) {
            expected.add(StreamType.STDOUT);
        }
        if (request.stderr()) {
            expected.add(StreamType.STDERR);
        }
        if (request.tty() && protocol.hasResize()) {
            expected.add(StreamType.RESIZE);
        }
        return expected;
    }

    @Override
    protected void streamOpened(int streamId, Map<String, String> headers, boolean clientFinished) {
        StreamType type;
        try {
            type = StreamType.valueOf(headers.getOrDefault("streamtype", "").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
            LOG.info("Kubelet {}: refusing SPDY stream with streamType '{}'", endpoint.nodeName(),
                    headers.get("streamtype"));
            reset(streamId, SpdyStreamStatus.PROTOCOL_ERROR);
            return;
        }
        if (streams.containsKey(type)) {
            reset(streamId, SpdyStreamStatus.PROTOCOL_ERROR);
            return;
        }
        streams.put(type, streamId);
        types.put(streamId, type);
        if (bridge == null && streams.keySet().containsAll(expected())) {
            creationTimeout.cancel(false);
            bridge = DeviceStreamBridge.open(endpoint.session(), request.opening(), ctx.channel().eventLoop(), gate,
                    this);
        }
    }

    @Override
    protected void streamData(int streamId, ByteBuf data, boolean last) {
        StreamType type = types.get(streamId);
        if (bridge == null || type == null) {
            return;
        }
        if (type == StreamType.STDIN && request.stdin()) {
            bridge.input(Channel.CHANNEL_STDIN, data);
            if (last) {
                bridge.inputClosed(Channel.CHANNEL_STDIN);
            }
        } else if (type == StreamType.RESIZE) {
            sizes.feed(data).forEach(size -> bridge.resize(size.cols(), size.rows()));
        }
    }

    @Override
    protected void streamReset(int streamId) {
        if (bridge != null && types.get(streamId) == StreamType.STDIN && request.stdin()) {
            bridge.inputClosed(Channel.CHANNEL_STDIN);
        }
    }

    @Override
    protected void clientGone(String reason) {
        if (creationTimeout != null) {
            creationTimeout.cancel(false);
        }
        if (bridge != null) {
            bridge.cancel(reason);
        }
    }

    @Override
    public ChannelFuture send(Channel channel, ByteBuf data) {
        Integer streamId = streams.get(channel == Channel.CHANNEL_STDERR ? StreamType.STDERR : StreamType.STDOUT);
        if (streamId == null) {
            data.release();
            return ctx.newSucceededFuture();
        }
        return send(streamId, data);
    }

    @Override
    public void outputClosed(Channel channel) {
        Integer streamId = streams.get(channel == Channel.CHANNEL_STDERR ? StreamType.STDERR : StreamType.STDOUT);
        if (streamId != null) {
            finish(streamId);
        }
    }

    @Override
    public void ended(StreamEnd end) {
        LOG.debug("Kubelet {}: {} ended: {}", endpoint.nodeName(), request.describe(), end);
        outputClosed(Channel.CHANNEL_STDOUT);
        outputClosed(Channel.CHANNEL_STDERR);
        int error = streams.get(StreamType.ERROR);
        RemoteCommandStatus.errorStreamBody(protocol.statusJson(), end, request.describe())
                .ifPresent(body -> send(error, Unpooled.wrappedBuffer(body)));
        finish(error);
        closeSoon();
    }
}
