package dev.aranya.session.internal;

import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.StreamException;
import dev.aranya.api.session.StreamListener;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.protocol.v1.TerminalSize;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A stream Aranya opened on a device, as the kubelet sees it. */
final class CloudStream extends StreamCore implements DeviceStream {
    private final CloudSession session;
    private final StreamListener listener;
    private final CompletableFuture<Void> accepted = new CompletableFuture<>();
    private final CompletableFuture<StreamEnd> end = new CompletableFuture<>();
    private boolean acceptReceived;
    private boolean cancelSent;
    private ScheduledFuture<?> timer;

    CloudStream(CloudSession session, long id, Frame opening, StreamListener listener) {
        super(session, id, StreamChannels.fromAranya(opening), StreamChannels.fromAgent(opening));
        this.session = session;
        this.listener = listener;
    }

    /** Starts the wait for the agent's answer to the opening. Under the lock. */
    void awaitAnswer(Duration timeout) {
        timer = schedule(timeout, () -> {
            if (!acceptReceived) {
                String reason = "the device did not answer the opening within " + timeout.toSeconds() + " s";
                sendCancel(reason);
                finish(StreamEnd.newBuilder().setError(error(ErrorCode.ERROR_CODE_TIMEOUT, reason)).build());
            }
        });
    }

    private ScheduledFuture<?> schedule(Duration delay, Runnable action) {
        return session.scheduler.schedule(() -> session.locked(() -> {
            if (!isEnded()) {
                action.run();
            }
        }), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    static ErrorInfo error(ErrorCode code, String message) {
        return ErrorInfo.newBuilder().setCode(code).setMessage(message).build();
    }

    // ---- from the agent (under the lock)

    void onAccepted() {
        if (acceptReceived) {
            return;
        }
        acceptReceived = true;
        if (!cancelSent && timer != null) {
            timer.cancel(false);
        }
        connection.callbacks.add(() -> accepted.complete(null));
    }

    /** Ends the stream, once: the agent's StreamEnd, a local error, a cancel that timed out, the session's end. */
    void finish(StreamEnd streamEnd) {
        if (isEnded()) {
            return;
        }
        markEnded();
        session.streams.remove(id(), this);
        if (timer != null) {
            timer.cancel(false);
        }
        connection.callbacks.add(() -> {
            if (!accepted.isDone()) {
                if (streamEnd.hasError()) {
                    accepted.completeExceptionally(new StreamException(streamEnd.getError()));
                } else {
                    accepted.complete(null);
                }
            }
            listener.onEnd(streamEnd);
            end.complete(streamEnd);
        });
    }

    @Override
    protected void deliverData(Channel channel, ByteBuffer data) {
        connection.callbacks.add(() -> listener.onData(channel, data));
    }

    @Override
    protected void deliverHalfClose(Channel channel) {
        connection.callbacks.add(() -> listener.onHalfClose(channel));
    }

    @Override
    protected void deliverWritable() {
        connection.callbacks.add(listener::onWritable);
    }

    @Override
    protected void fail(ErrorInfo error) {
        sendCancel(error.getMessage());
        finish(StreamEnd.newBuilder().setError(error).build());
    }

    @Override
    protected void connectionLost(String reason) {
        finish(StreamEnd.newBuilder()
                .setError(error(ErrorCode.ERROR_CODE_UNAVAILABLE, "the device's session ended: " + reason)).build());
    }

    private void sendCancel(String reason) {
        if (!cancelSent) {
            cancelSent = true;
            connection.send(frame().setCancel(Cancel.newBuilder().setReason(reason)));
        }
    }

    // ---- DeviceStream

    @Override
    public CompletionStage<Void> accepted() {
        return accepted.minimalCompletionStage();
    }

    @Override
    public CompletionStage<StreamEnd> ended() {
        return end.minimalCompletionStage();
    }

    @Override
    public void resize(int cols, int rows) {
        session.locked(() -> {
            if (!isEnded()) {
                connection.send(frame().setResize(TerminalSize.newBuilder().setCols(cols).setRows(rows)));
            }
        });
    }

    @Override
    public void cancel(String reason) {
        session.locked(() -> {
            if (isEnded() || cancelSent) {
                return;
            }
            sendCancel(reason);
            if (timer != null) {
                timer.cancel(false);
            }
            Duration grace = session.settings().cancelGrace();
            timer = schedule(grace, () -> finish(StreamEnd.newBuilder().setError(error(ErrorCode.ERROR_CODE_CANCELLED,
                    "cancelled (" + reason + "); the device did not end the stream within " + grace.toSeconds() + " s")).build()));
        });
    }

    @Override
    public String toString() {
        return "stream " + id() + " of " + session.device();
    }
}
