package dev.aranya.kubelet.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.base64.Base64;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.Optional;

/**
 * The Kubernetes channel framing over WebSocket: each message starts with its channel number, then the bytes
 * (binary protocols), or the channel as an ASCII digit and the bytes in base64 (the base64 protocols, text
 * messages).
 */
final class WebSocketChannels {
    /** A message's channel and payload; the payload is the caller's to release. */
    record Message(int channel, ByteBuf payload) {
    }

    private final boolean base64;

    WebSocketChannels(boolean base64) {
        this.base64 = base64;
    }

    WebSocketFrame encode(int channel, ByteBuf data) {
        if (!base64) {
            return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(new byte[] {(byte) channel}),
                    data));
        }
        ByteBuf encoded = Base64.encode(data, false);
        data.release();
        ByteBuf text = Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(new byte[] {(byte) ('0' + channel)}), encoded);
        return new TextWebSocketFrame(text);
    }

    /** The message, or empty for an empty or undecodable one. Does not release the frame. */
    Optional<Message> decode(WebSocketFrame frame, ByteBufAllocator alloc) {
        ByteBuf content = frame.content();
        if (!content.isReadable()) {
            return Optional.empty();
        }
        int channel = content.getUnsignedByte(content.readerIndex());
        ByteBuf payload = content.slice(content.readerIndex() + 1, content.readableBytes() - 1);
        if (!base64) {
            return Optional.of(new Message(channel, payload.retain()));
        }
        try {
            return Optional.of(new Message(channel - '0', Base64.decode(payload)));
        } catch (IllegalArgumentException notBase64) {
            return Optional.empty();
        }
    }
}
