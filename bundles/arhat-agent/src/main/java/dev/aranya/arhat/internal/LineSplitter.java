package dev.aranya.arhat.internal;

import java.nio.ByteBuffer;

/** Cuts bytes into lines (each with its line end), at most {@value #MAX_LINE} bytes each so memory stays bounded. */
final class LineSplitter {
    static final int MAX_LINE = 64 << 10;

    /** Receives each line; returns false when no more are wanted. */
    @FunctionalInterface
    interface LineConsumer {
        boolean line(byte[] bytes, int length) throws InterruptedException;
    }

    private final LineConsumer consumer;
    private final byte[] line = new byte[MAX_LINE];
    private int length;

    LineSplitter(LineConsumer consumer) {
        this.consumer = consumer;
    }

    /** @return false once the consumer wants no more lines */
    boolean take(ByteBuffer data) throws InterruptedException {
        while (data.hasRemaining()) {
            byte next = data.get();
            line[length++] = next;
            if ((next == '\n' || length == MAX_LINE) && !emit()) {
                return false;
            }
        }
        return true;
    }

    /** Hands on a last line that has no line end. */
    void finish() throws InterruptedException {
        if (length > 0) {
            emit();
        }
    }

    private boolean emit() throws InterruptedException {
        int emitted = length;
        length = 0;
        return consumer.line(line, emitted);
    }
}
