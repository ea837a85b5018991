package dev.aranya.arhat.internal;

import dev.aranya.protocol.v1.Channel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/** Sends log lines on STDOUT: with an RFC 3339 time prefix if asked, up to a byte limit, as the window allows. */
final class LogLineWriter {
    private final WindowedSender sender;
    private final boolean timestamps;
    private long remaining;

    /** @param limitBytes the most bytes to send (prefixes included), or a negative number for no limit */
    LogLineWriter(WindowedSender sender, boolean timestamps, long limitBytes) {
        this.sender = sender;
        this.timestamps = timestamps;
        this.remaining = limitBytes < 0 ? Long.MAX_VALUE : limitBytes;
    }

    /**
     * Sends one line (with its line end, if it has one).
     *
     * @param time when the line was written, for the prefix; null = now (the line carries no time of its own)
     * @return false once no more lines are wanted: the limit is reached or the stream closed
     */
    boolean write(Instant time, byte[] line, int offset, int length) throws InterruptedException {
        if (timestamps && !send(prefix(time))) {
            return false;
        }
        return send(ByteBuffer.wrap(line, offset, length));
    }

    boolean limitReached() {
        return remaining == 0;
    }

    private static ByteBuffer prefix(Instant time) {
        String stamp = DateTimeFormatter.ISO_INSTANT.format(time == null ? Instant.now() : time);
        return ByteBuffer.wrap((stamp + " ").getBytes(StandardCharsets.US_ASCII));
    }

    private boolean send(ByteBuffer data) throws InterruptedException {
        if (remaining == 0) {
            return false;
        }
        if (data.remaining() > remaining) {
            data.limit(data.position() + (int) remaining);
        }
        remaining -= data.remaining();
        return sender.send(Channel.CHANNEL_STDOUT, data) && remaining > 0;
    }
}
