package dev.aranya.kubelet.internal;

import dev.aranya.api.transport.DeviceId;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.MDC;

/**
 * First handler of a node's kubelet connections: the handlers after it run each inbound event with the device in the
 * logging context ({@link DeviceId#LOG_KEY}), so their log lines name the device although an event loop thread
 * serves the connections of many nodes.
 */
@ChannelHandler.Sharable
final class DeviceLogContext extends ChannelInboundHandlerAdapter {
    private final String device;

    DeviceLogContext(DeviceId device) {
        this.device = device.toString();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        within(ctx::fireChannelActive);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        within(() -> ctx.fireChannelRead(msg));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        within(ctx::fireChannelReadComplete);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        within(ctx::fireChannelWritabilityChanged);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        within(() -> ctx.fireUserEventTriggered(evt));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        within(() -> ctx.fireExceptionCaught(cause));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        within(ctx::fireChannelInactive);
    }

    private void within(Runnable event) {
        MDC.put(DeviceId.LOG_KEY, device);
        try {
            event.run();
        } finally {
            MDC.remove(DeviceId.LOG_KEY);
        }
    }
}
