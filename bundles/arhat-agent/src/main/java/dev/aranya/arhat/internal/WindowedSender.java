package dev.aranya.arhat.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.protocol.v1.Channel;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends one stream's output as far as Aranya's window allows. The pump thread that calls {@link #send} waits while
 * the window is spent, so it stops reading its source (pipe, socket, file): memory stays one buffer per pump.
 *
 * <p>The protocol endpoint's methods are never called under this object's lock: the endpoint calls
 * {@link #onWritable()} from its own threads, possibly under its own locks.
 */
final class WindowedSender {
    /** How long a pump waits before looking at the window again, should a wake-up be lost. */
    private static final long RECHECK_MILLIS = 1000;

    private final AgentStream stream;
    private final Object lock = new Object();
    private final AtomicInteger sending = new AtomicInteger();
    private long wakeups;
    private boolean closed;

    WindowedSender(AgentStream stream) {
        this.stream = stream;
    }

    /**
     * Sends all of {@code data}, waiting for window as needed.
     *
     * @return false when the stream was closed before everything was sent
     */
    boolean send(Channel channel, ByteBuffer data) throws InterruptedException {
        sending.incrementAndGet();
        try {
            return sendAll(channel, data);
        } finally {
            sending.decrementAndGet();
        }
    }

    private boolean sendAll(Channel channel, ByteBuffer data) throws InterruptedException {
        while (data.hasRemaining()) {
            long seen;
            synchronized (lock) {
                if (closed) {
                    return false;
                }
                seen = wakeups;
            }
            stream.write(channel, data);
            if (data.hasRemaining() && !stream.writable()) {
                synchronized (lock) {
                    if (!closed && wakeups == seen) {
                        lock.wait(RECHECK_MILLIS);
                    }
                }
            }
        }
        return true;
    }

    /** The window reopened. */
    void onWritable() {
        synchronized (lock) {
            wakeups++;
            lock.notifyAll();
        }
    }

    /** Nothing more may be sent: waiting pumps return. */
    void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }

    /** Whether a pump is handing on output now (possibly waiting for window): it is not stuck reading its source. */
    boolean sending() {
        return sending.get() > 0;
    }

    boolean closed() {
        synchronized (lock) {
            return closed;
        }
    }
}
