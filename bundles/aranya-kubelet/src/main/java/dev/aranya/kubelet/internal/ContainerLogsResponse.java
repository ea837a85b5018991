package dev.aranya.kubelet.internal;

import com.google.protobuf.Timestamp;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Logs;
import dev.aranya.protocol.v1.StreamEnd;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /containerLogs/{ns}/{pod}/{container}}: the device's log as a chunked {@code text/plain} response, written
 * as fast as the client reads it. The response starts when the device accepted the stream, so a refusal (no such
 * log source, {@code previous} unsupported, device offline) still gets its own status and message.
 */
final class ContainerLogsResponse implements DeviceStreamBridge.ClientSide {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerLogsResponse.class);

    private final ChannelHandlerContext ctx;
    private final String nodeName;
    private final boolean keepAlive;
    private final Runnable done;
    private boolean started;

    private ContainerLogsResponse(ChannelHandlerContext ctx, String nodeName, boolean keepAlive, Runnable done) {
        this.ctx = ctx;
        this.nodeName = nodeName;
        this.keepAlive = keepAlive;
        this.done = done;
    }

    /**
     * Starts the response; the returned bridge is to be cancelled if the client goes away.
     *
     * @param done called once the response is complete and the connection can take the next request
     */
    static DeviceStreamBridge start(ChannelHandlerContext ctx, NodeEndpoint endpoint, Logs logs, boolean keepAlive,
            Runnable done) {
        ContainerLogsResponse response = new ContainerLogsResponse(ctx, endpoint.nodeName(), keepAlive, done);
        DeviceStreamBridge bridge = DeviceStreamBridge.open(endpoint.session(), Frame.newBuilder().setLogs(logs)
                .build(), ctx.channel().eventLoop(), new ReadGate(ctx.channel()), response);
        bridge.onAccepted(response::begin);
        return bridge;
    }

    /** The query as a Logs opening; a bad parameter throws with the message for a 400. */
    static Logs options(String container, QueryStringDecoder uri) {
        Logs.Builder logs = Logs.newBuilder().setContainer(container)
                .setFollow(RemoteCommandRequest.flag(uri, "follow"))
                .setTimestamps(RemoteCommandRequest.flag(uri, "timestamps"))
                .setPrevious(RemoteCommandRequest.flag(uri, "previous"));
        String tail = param(uri, "tailLines");
        if (tail != null) {
            logs.setTailLines(nonNegative("tailLines", tail, 0));
        }
        String limit = param(uri, "limitBytes");
        if (limit != null) {
            logs.setLimitBytes(nonNegative("limitBytes", limit, 1));
        }
        String sinceSeconds = param(uri, "sinceSeconds");
        String sinceTime = param(uri, "sinceTime");
        if (sinceSeconds != null && sinceTime != null) {
            throw new IllegalArgumentException("at most one of sinceTime or sinceSeconds may be specified");
        }
        if (sinceSeconds != null) {
            logs.setSinceSeconds(nonNegative("sinceSeconds", sinceSeconds, 1));
        }
        if (sinceTime != null) {
            try {
                Instant time = Instant.parse(sinceTime);
                logs.setSinceTime(Timestamp.newBuilder().setSeconds(time.getEpochSecond()).setNanos(time.getNano()));
            } catch (DateTimeParseException bad) {
                throw new IllegalArgumentException("sinceTime must be an RFC 3339 time, not '" + sinceTime + "'");
            }
        }
        return logs.build();
    }

    private static String param(QueryStringDecoder uri, String name) {
        List<String> values = uri.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static long nonNegative(String name, String value, long min) {
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= min) {
                return parsed;
            }
        } catch (NumberFormatException notANumber) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be an integer of at least " + min + ", not '" + value + "'");
    }

    private void begin() {
        if (started) {
            return;
        }
        started = true;
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpResponses.TEXT)
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        ctx.writeAndFlush(response);
    }

    @Override
    public ChannelFuture send(Channel channel, ByteBuf data) {
        begin();
        return ctx.writeAndFlush(new DefaultHttpContent(data));
    }

    @Override
    public void outputClosed(Channel channel) {
        // the end follows
    }

    @Override
    public void ended(StreamEnd end) {
        done.run();
        if (!started && end.hasError()) {
            LOG.info("Kubelet {}: logs refused: {} {}", nodeName, end.getError().getCode(),
                    end.getError().getMessage());
            HttpResponses.text(ctx, keepAlive, status(end.getError().getCode()), end.getError().getMessage());
            return;
        }
        begin();
        if (end.hasError() && end.getError().getCode() != ErrorCode.ERROR_CODE_CANCELLED) {
            LOG.info("Kubelet {}: logs ended early: {}", nodeName, end.getError().getMessage());
        }
        ChannelFuture last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
            last.addListener(ChannelFutureListener.CLOSE);
        }
    }

    static HttpResponseStatus status(ErrorCode code) {
        return switch (code) {
            case ERROR_CODE_BAD_REQUEST, ERROR_CODE_UNSUPPORTED -> HttpResponseStatus.BAD_REQUEST;
            case ERROR_CODE_NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case ERROR_CODE_PERMISSION_DENIED, ERROR_CODE_UNAUTHENTICATED -> HttpResponseStatus.FORBIDDEN;
            case ERROR_CODE_UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case ERROR_CODE_TIMEOUT -> HttpResponseStatus.GATEWAY_TIMEOUT;
            case ERROR_CODE_RESOURCE_EXHAUSTED -> HttpResponseStatus.TOO_MANY_REQUESTS;
            default -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
        };
    }
}
