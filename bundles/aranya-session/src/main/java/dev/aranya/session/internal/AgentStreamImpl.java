package dev.aranya.session.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.StreamAccepted;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.protocol.v1.TerminalSize;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A stream Aranya opened, as the agent's host work sees it. */
final class AgentStreamImpl extends StreamCore implements AgentStream {
    private static final Logger LOG = LoggerFactory.getLogger(AgentStreamImpl.class);

    private final AgentSession session;
    private final boolean tty;
    // set by the first callback of the stream; every later callback runs after it
    private AgentStreamListener listener;
    private boolean acceptSent;

    AgentStreamImpl(AgentSession session, long id, Frame opening) {
        super(session, id, StreamChannels.fromAgent(opening), StreamChannels.fromAranya(opening));
        this.session = session;
        this.tty = AgentSession.tty(opening);
    }

    /** Hands the opening to the host (a callback: outside the lock). */
    void start(HostStreams host, Frame opening) {
        try {
            listener = host.open(opening, this);
        } catch (RuntimeException e) {
            LOG.error("Stream {}: the host failed to start {}", id(), opening.getBodyCase(), e);
            end(StreamEnd.newBuilder().setError(ErrorInfo.newBuilder().setCode(ErrorCode.ERROR_CODE_INTERNAL)
                    .setMessage("the agent failed to start the " + opening.getBodyCase() + " stream")).build());
        }
    }

    private void toListener(java.util.function.Consumer<AgentStreamListener> call) {
        connection.callbacks.add(() -> {
            if (listener != null) {
                call.accept(listener);
            }
        });
    }

    // ---- from Aranya (under the lock)

    void onCancel(Cancel cancel) {
        toListener(l -> l.onCancel(cancel));
    }

    void onResize(TerminalSize size) {
        if (tty) {
            toListener(l -> l.onResize(size.getCols(), size.getRows()));
        }
    }

    @Override
    protected void deliverData(Channel channel, ByteBuffer data) {
        toListener(l -> l.onData(channel, data));
    }

    @Override
    protected void deliverHalfClose(Channel channel) {
        toListener(l -> l.onHalfClose(channel));
    }

    @Override
    protected void deliverWritable() {
        toListener(AgentStreamListener::onWritable);
    }

    @Override
    protected void fail(ErrorInfo error) {
        end(StreamEnd.newBuilder().setError(error).build());
        toListener(l -> l.onCancel(Cancel.newBuilder().setReason(error.getMessage()).build()));
    }

    @Override
    protected void connectionLost(String reason) {
        markEnded();
        toListener(l -> l.onConnectionLost(reason));
    }

    // ---- AgentStream

    @Override
    public void accept() {
        session.locked(() -> {
            if (!isEnded() && !acceptSent) {
                acceptSent = true;
                connection.send(frame().setStreamAccepted(StreamAccepted.getDefaultInstance()));
            }
        });
    }

    @Override
    public void end(StreamEnd end) {
        session.locked(() -> {
            if (isEnded()) {
                return;
            }
            markEnded();
            session.streams.remove(id(), this);
            connection.send(frame().setStreamEnd(end));
        });
    }

    @Override
    public String toString() {
        return "stream " + id();
    }
}
