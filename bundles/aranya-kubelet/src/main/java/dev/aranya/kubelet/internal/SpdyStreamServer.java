package dev.aranya.kubelet.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyPingFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyHeaders;
import io.netty.handler.codec.spdy.SpdyPingFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of a Kubernetes SPDY/3.1 connection (the Go spdystream peer kubectl and the apiserver use): the
 * client opens every stream, the server answers each with a SYN_REPLY and echoes pings. spdystream neither sends
 * nor honours WINDOW_UPDATE, so SPDY windows are ignored and TCP carries the back-pressure (reading stops while a
 * device window is spent; device credit returns only for bytes the socket took).
 */
abstract class SpdyStreamServer extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(SpdyStreamServer.class);
    /** How long the client may keep the connection after the server ended its side, to read the last frames. */
    private static final long CLOSE_GRACE_SECONDS = 5;

    private final Set<Integer> finished = new HashSet<>();
    protected ChannelHandlerContext ctx;
    protected ReadGate gate;
    private boolean gone;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.gate = new ReadGate(ctx.channel());
    }

    /** A stream the client opened, already answered. */
    protected abstract void streamOpened(int streamId, Map<String, String> headers, boolean clientFinished);

    /** Bytes on a stream, released by the caller after the call; {@code last}: the client's side of it ended. */
    protected abstract void streamData(int streamId, ByteBuf data, boolean last);

    protected abstract void streamReset(int streamId);

    /** The connection closed or the client said goodbye: end everything. */
    protected abstract void clientGone(String reason);

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof SpdySynStreamFrame syn) {
                Map<String, String> headers = headers(syn.headers());
                DefaultSpdySynReplyFrame reply = new DefaultSpdySynReplyFrame(syn.streamId());
                // an empty header block would go out as zero bytes, which Go's SPDY framer cannot inflate
                headers.forEach((name, value) -> reply.headers().set(name, value));
                if (headers.isEmpty()) {
                    reply.headers().set("streamtype", "");
                }
                ctx.writeAndFlush(reply);
                streamOpened(syn.streamId(), headers, syn.isLast());
            } else if (msg instanceof SpdyDataFrame data) {
                streamData(data.streamId(), data.content(), data.isLast());
            } else if (msg instanceof SpdyRstStreamFrame rst) {
                streamReset(rst.streamId());
            } else if (msg instanceof SpdyPingFrame ping) {
                ctx.writeAndFlush(new DefaultSpdyPingFrame(ping.id()));
            } else if (msg instanceof SpdyGoAwayFrame) {
                end("the client ended the SPDY session");
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private static Map<String, String> headers(SpdyHeaders headers) {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        headers.names().forEach(name -> map.put(name.toString().toLowerCase(java.util.Locale.ROOT),
                headers.getAsString(name)));
        return map;
    }

    protected final ChannelFuture send(int streamId, ByteBuf data) {
        return ctx.writeAndFlush(new DefaultSpdyDataFrame(streamId, data));
    }

    /** Ends the server's side of a stream (once). */
    protected final void finish(int streamId) {
        if (finished.add(streamId)) {
            DefaultSpdyDataFrame fin = new DefaultSpdyDataFrame(streamId, Unpooled.EMPTY_BUFFER);
            fin.setLast(true);
            ctx.writeAndFlush(fin);
        }
    }

    protected final void reset(int streamId, SpdyStreamStatus status) {
        ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(streamId, status));
    }

    /**
     * Closes the connection a little after the last frames went out: the client reads them and closes first, and a
     * close with its bytes still unread on this side would reset the connection and could cost it the last frames.
     */
    protected final void closeSoon() {
        ctx.executor().schedule(() -> {
            ctx.close();
        }, CLOSE_GRACE_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public final void channelInactive(ChannelHandlerContext ctx) {
        end("the client closed the connection");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.info("SPDY connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        end("the connection failed: " + cause.getMessage());
        ctx.close();
    }

    private void end(String reason) {
        if (!gone) {
            gone = true;
            clientGone(reason);
        }
    }
}
