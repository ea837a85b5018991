package dev.aranya.protocol;

import dev.aranya.protocol.v1.ErrorCode;

/**
 * Credit-based flow-control accounting for one direction of one stream (docs/protocol.md, "Flow control").
 * Both ends keep one per direction of every open stream:
 *
 * <ul>
 *   <li>the <b>sender</b> takes credit before sending Data ({@link #consumeUpTo(int)}, sending at most what it
 *       got) and adds the credit of each WindowUpdate it receives ({@link #grant(long)});</li>
 *   <li>the <b>receiver</b> checks each Data it receives against what it allowed ({@link #consume(int)}, which
 *       refuses an overrun) and adds the credit it returns in each WindowUpdate it sends ({@link #grant(long)}).</li>
 * </ul>
 *
 * <p>The window starts at the initial window the receiving side announced and stays within
 * 0..{@link ProtocolLimits#MAX_WINDOW}. Thread-safe; it only counts and never blocks: a sender with no credit
 * waits for the next WindowUpdate.
 */
public final class StreamWindow {

    private long available;

    /** @param initial the announced initial window, 0..{@link ProtocolLimits#MAX_WINDOW} */
    public StreamWindow(int initial) {
        if (initial < 0) {
            throw new IllegalArgumentException("negative initial window " + initial);
        }
        this.available = initial;
    }

    /** Bytes of Data that may still be sent before more credit is granted. */
    public synchronized long available() {
        return available;
    }

    /**
     * Receiver side: accounts a received Data payload of {@code bytes}.
     *
     * @throws ProtocolException {@code FLOW_CONTROL} if it exceeds the window (the window is left unchanged)
     */
    public synchronized void consume(int bytes) throws ProtocolException {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative byte count " + bytes);
        }
        if (bytes > available) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_FLOW_CONTROL,
                    "received " + bytes + " bytes of data with a window of " + available);
        }
        available -= bytes;
    }

    /**
     * Sender side: takes as much credit as is available, up to {@code max} bytes.
     *
     * @return the bytes taken (0 if the window is empty): send a Data payload of exactly that many
     */
    public synchronized int consumeUpTo(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("negative byte count " + max);
        }
        int taken = (int) Math.min(max, available);
        available -= taken;
        return taken;
    }

    /**
     * Adds the credit of a WindowUpdate (received by a sender, or sent by a receiver).
     *
     * @param credit the WindowUpdate's credit as an unsigned 32-bit value
     * @throws ProtocolException {@code FLOW_CONTROL} if credit is 0 or the window would exceed
     *     {@link ProtocolLimits#MAX_WINDOW} (the window is left unchanged)
     */
    public synchronized void grant(long credit) throws ProtocolException {
        if (credit <= 0) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_FLOW_CONTROL, "window credit must be at least 1, was " + credit);
        }
        if (credit > ProtocolLimits.MAX_WINDOW - available) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_FLOW_CONTROL,
                    "window credit " + credit + " on top of " + available + " exceeds " + ProtocolLimits.MAX_WINDOW);
        }
        available += credit;
    }

    @Override
    public synchronized String toString() {
        return "StreamWindow[available=" + available + "]";
    }
}
