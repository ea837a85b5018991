package dev.aranya.kubelet.internal;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.handler.ssl.SslHandler;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of one kubelet connection: every request is authenticated and authorized first (nothing reaches the
 * device otherwise), then answered, or upgraded to SPDY or WebSocket for exec, attach and port-forward.
 */
final class KubeletHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(KubeletHttpHandler.class);
    static final String STREAM_PROTOCOL_HEADER = "X-Stream-Protocol-Version";
    static final String PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
    /** kubectl 1.30+ port-forward over WebSocket: SPDY frames carried in binary messages. */
    static final String PORT_FORWARD_TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io";
    private static final int MAX_WEBSOCKET_MESSAGE = 1 << 20;

    private final NodeEndpoint endpoint;
    private final NodeStatusResponses status;
    private DeviceStreamBridge logs;

    KubeletHttpHandler(NodeEndpoint endpoint, NodeStatusResponses status) {
        this.endpoint = endpoint;
        this.status = status;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (logs != null) {
            LOG.info("Kubelet {}: a request arrived while a log was being streamed; closing", endpoint.nodeName());
            ctx.close();
            return;
        }
        ctx.channel().config().setAutoRead(false);
        request.retain();
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        endpoint.auth().check(tls.engine().getSession(), request, uri.path(), endpoint.nodeName())
                .whenComplete((outcome, failure) -> ctx.executor().execute(() -> {
                    try {
                        if (failure != null) {
                            LOG.warn("Kubelet {}: cannot check a request: {}", endpoint.nodeName(), failure.toString());
                            respond(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal error");
                        } else if (outcome instanceof KubeletAuth.Rejected rejected) {
                            respond(ctx, request, rejected.status(), rejected.message());
                        } else {
                            dispatch(ctx, request, uri);
                        }
                    } catch (RuntimeException bug) {
                        LOG.error("Kubelet {}: {} {} failed", endpoint.nodeName(), request.method(), uri.path(), bug);
                        respond(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal error");
                    } finally {
                        request.release();
                    }
                }));
    }

    private void dispatch(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri) {
        Optional<KubeletPath> parsed = KubeletPath.parse(uri.path());
        if (parsed.isEmpty()) {
            respond(ctx, request, HttpResponseStatus.NOT_FOUND, "404 page not found");
            return;
        }
        KubeletPath path = parsed.get();
        if (path.namesPod() && !(path.namespace().equals(endpoint.node().device().namespace())
                && path.pod().equals(endpoint.node().podName()))) {
            respond(ctx, request, HttpResponseStatus.NOT_FOUND, "pod " + path.namespace() + "/" + path.pod()
                    + " is not on node " + endpoint.nodeName() + " (it runs only "
                    + endpoint.node().device().namespace() + "/" + endpoint.node().podName() + ")");
            return;
        }
        switch (path.endpoint()) {
            case HEALTHZ -> respond(ctx, request, HttpResponseStatus.OK, "ok");
            case PODS, RUNNING_PODS, STATS_SUMMARY, METRICS, METRICS_RESOURCE -> {
                NodeStatusResponses.Body body = status.render(path.endpoint(), endpoint);
                HttpResponses.send(ctx, HttpUtil.isKeepAlive(request), HttpResponseStatus.OK, body.contentType(),
                        body.text());
                ctx.channel().config().setAutoRead(true);
            }
            case CONTAINER_LOGS -> containerLogs(ctx, request, uri, path);
            case EXEC, ATTACH -> remoteCommand(ctx, request, uri, path);
            case PORT_FORWARD -> portForward(ctx, request, uri, path);
        }
    }

    private void containerLogs(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri,
            KubeletPath path) {
        if (!request.method().equals(HttpMethod.GET)) {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "logs are read with GET");
            return;
        }
        try {
            logs = ContainerLogsResponse.start(ctx, endpoint, ContainerLogsResponse.options(path.container(), uri),
                    HttpUtil.isKeepAlive(request), () -> logs = null);
        } catch (IllegalArgumentException bad) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, bad.getMessage());
            return;
        }
        // reading on lets a client that goes away be noticed while the log waits for lines
        ctx.channel().config().setAutoRead(true);
    }

    private void remoteCommand(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri,
            KubeletPath path) {
        RemoteCommandRequest command;
        try {
            command = RemoteCommandRequest.parse(path, uri);
        } catch (IllegalArgumentException bad) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, bad.getMessage());
            return;
        }
        if (isWebSocket(request)) {
            List<String> offered = StreamProtocol.split(request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
            Optional<StreamProtocol> protocol = StreamProtocol.negotiate(offered, StreamProtocol.WEBSOCKET);
            if (protocol.isEmpty()) {
                respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "none of the WebSocket subprotocols " + offered
                        + " is supported; supported: " + StreamProtocol.ids(StreamProtocol.WEBSOCKET));
                return;
            }
            webSocket(ctx, request, protocol.get().id(),
                    new WebSocketRemoteCommandHandler(endpoint, command, protocol.get()));
        } else if (isSpdy(request)) {
            List<String> offered = StreamProtocol.split(request.headers().getAll(STREAM_PROTOCOL_HEADER));
            Optional<StreamProtocol> protocol = offered.isEmpty() ? Optional.of(StreamProtocol.V1)
                    : StreamProtocol.negotiate(offered, StreamProtocol.SPDY);
            if (protocol.isEmpty()) {
                refuseProtocols(ctx, request, offered, StreamProtocol.ids(StreamProtocol.SPDY));
                return;
            }
            spdy(ctx, protocol.get().id(), new SpdyRemoteCommandHandler(endpoint, command, protocol.get()));
        } else {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST,
                    "Upgrade request required (SPDY/3.1 or websocket)");
        }
    }

    private void portForward(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri,
            KubeletPath path) {
        if (isWebSocket(request)) {
            List<String> offered = StreamProtocol.split(request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
            if (offered.contains(PORT_FORWARD_TUNNEL_PROTOCOL)) {
                webSocket(ctx, request, PORT_FORWARD_TUNNEL_PROTOCOL, new WebSocketTunnel(),
                        new SpdyFrameCodec(SpdyVersion.SPDY_3_1), new SpdyPortForwardHandler(endpoint, path.pod()));
                return;
            }
            Optional<StreamProtocol> protocol = StreamProtocol.negotiate(offered, StreamProtocol.PORT_FORWARD_WEBSOCKET);
            if (protocol.isEmpty()) {
                respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "none of the WebSocket subprotocols " + offered
                        + " is supported for port-forward; supported: " + PORT_FORWARD_TUNNEL_PROTOCOL + ", "
                        + StreamProtocol.ids(StreamProtocol.PORT_FORWARD_WEBSOCKET));
                return;
            }
            List<Integer> ports;
            try {
                ports = WebSocketPortForwardHandler.ports(uri.parameters().getOrDefault("ports", List.of()));
            } catch (IllegalArgumentException bad) {
                respond(ctx, request, HttpResponseStatus.BAD_REQUEST, bad.getMessage());
                return;
            }
            webSocket(ctx, request, protocol.get().id(), new WebSocketPortForwardHandler(endpoint, path.pod(), ports,
                    protocol.get().base64()));
        } else if (isSpdy(request)) {
            List<String> offered = StreamProtocol.split(request.headers().getAll(STREAM_PROTOCOL_HEADER));
            if (!offered.contains(PORT_FORWARD_PROTOCOL)) {
                refuseProtocols(ctx, request, offered, List.of(PORT_FORWARD_PROTOCOL));
                return;
            }
            spdy(ctx, PORT_FORWARD_PROTOCOL, new SpdyPortForwardHandler(endpoint, path.pod()));
        } else {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST,
                    "Upgrade request required (SPDY/3.1 or websocket)");
        }
    }

    private static boolean isSpdy(FullHttpRequest request) {
        return request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && "SPDY/3.1".equalsIgnoreCase(request.headers().get(HttpHeaderNames.UPGRADE));
    }

    private static boolean isWebSocket(FullHttpRequest request) {
        return request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && HttpHeaderValues.WEBSOCKET.contentEqualsIgnoreCase(request.headers().get(HttpHeaderNames.UPGRADE, ""));
    }

    private void refuseProtocols(ChannelHandlerContext ctx, FullHttpRequest request, List<String> offered,
            List<String> supported) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
                ctx.alloc().buffer());
        response.content().writeCharSequence("unable to upgrade: unable to negotiate protocol: client supports "
                + offered + ", server supports " + supported + "\n", java.nio.charset.StandardCharsets.UTF_8);
        supported.forEach(p -> response.headers().add("X-Accepted-Stream-Protocol-Versions", p));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpResponses.TEXT)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        ctx.writeAndFlush(response);
        ctx.channel().config().setAutoRead(true);
    }

    /** Answers 101 and hands the connection to the SPDY handler. */
    private void spdy(ChannelHandlerContext ctx, String protocol, ChannelHandler handler) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.SWITCHING_PROTOCOLS);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                .set(HttpHeaderNames.UPGRADE, "SPDY/3.1").set(STREAM_PROTOCOL_HEADER, protocol);
        ctx.writeAndFlush(response);
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.remove(HttpObjectAggregator.class);
        pipeline.remove(HttpServerCodec.class);
        pipeline.addLast(new SpdyFrameCodec(SpdyVersion.SPDY_3_1), handler);
        pipeline.remove(this);
        ctx.channel().config().setAutoRead(true);
    }

    /** Completes the WebSocket handshake with the chosen subprotocol and hands the connection to the handlers. */
    private void webSocket(ChannelHandlerContext ctx, FullHttpRequest request, String protocol,
            ChannelHandler... handlers) {
        String url = "wss://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + request.uri();
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(url, protocol, false,
                MAX_WEBSOCKET_MESSAGE).newHandshaker(request);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            ctx.channel().config().setAutoRead(true);
            return;
        }
        ChannelPipeline pipeline = ctx.pipeline();
        handshaker.handshake(ctx.channel(), request).addListener(done -> {
            if (!done.isSuccess()) {
                LOG.info("Kubelet {}: WebSocket handshake failed: {}", endpoint.nodeName(), done.cause().toString());
                ctx.close();
                return;
            }
            pipeline.addLast(new WebSocketFrameAggregator(MAX_WEBSOCKET_MESSAGE));
            pipeline.addLast(handlers);
            pipeline.remove(this);
            ctx.channel().config().setAutoRead(true);
        });
    }

    private void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
            String message) {
        HttpResponses.text(ctx, HttpUtil.isKeepAlive(request), status, message);
        ctx.channel().config().setAutoRead(true);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (logs != null) {
            logs.cancel("the client closed the connection");
            logs = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.info("Kubelet {}: connection from {} failed: {}", endpoint.nodeName(), ctx.channel().remoteAddress(),
                cause.toString());
        ctx.close();
    }
}
