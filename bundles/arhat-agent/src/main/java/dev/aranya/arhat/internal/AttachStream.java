package dev.aranya.arhat.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.protocol.v1.Attach;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/** One kubectl attach to a host console ({@link Consoles}): a detach (cancel, lost connection) leaves the shell running. */
final class AttachStream extends HostStream implements Consoles.Attachment {
    private final Attach request;
    private final Consoles consoles;
    private volatile Consoles.Console console;
    /**
     * Input that arrived before the console was joined (kubectl types at once; the protocol lets Aranya send within
     * the initial window before the stream is accepted), in order, with {@link #INPUT_CLOSED} for a half-close.
     * Touched on the inbound executor only; bounded by the window, as its credit returns once it is typed.
     */
    private final ArrayDeque<byte[]> pendingInput = new ArrayDeque<>();
    private static final byte[] INPUT_CLOSED = new byte[0];
    private boolean inputClosed;

    AttachStream(Attach request, AgentStream stream, HostRuntime runtime, Consoles consoles) {
        super(stream, runtime);
        this.request = request;
        this.consoles = consoles;
    }

    @Override
    String describe() {
        return "attach to console '" + request.getContainer() + "'";
    }

    @Override
    void start() {
        try {
            Consoles.Console joined = consoles.attach(request.getContainer(), this);
            console = joined;
            inbound.execute(this::typePendingInput);
            if (ended()) {
                joined.detach(this);
                return;
            }
            accepted();
            LOG.info("Stream {}: attached to console '{}'", stream.id(), request.getContainer());
            if (request.getTty() && request.hasInitialSize() && request.getInitialSize().getCols() > 0) {
                joined.resize(request.getInitialSize().getCols(), request.getInitialSize().getRows());
            }
        } catch (StreamRefused refused) {
            finish(StreamEnds.of(refused));
        }
    }

    @Override
    public void deliver(ByteBuffer output) throws InterruptedException {
        if (request.getStdout() && !ended()) {
            sender.send(Channel.CHANNEL_STDOUT, output);
        }
    }

    @Override
    public void consoleExited(int exitCode) {
        finish(StreamEnds.exit(exitCode));
    }

    @Override
    public void onData(Channel channel, ByteBuffer data) {
        byte[] bytes = copyOf(data);
        inbound.execute(() -> {
            pendingInput.add(bytes);
            typePendingInput();
        });
    }

    /** This client stops typing; the console and the other clients carry on. */
    @Override
    public void onHalfClose(Channel channel) {
        inbound.execute(() -> {
            pendingInput.add(INPUT_CLOSED);
            typePendingInput();
        });
    }

    /** Types what arrived into the console once it is joined; on the inbound executor. */
    private void typePendingInput() {
        Consoles.Console joined = console;
        if (joined == null) {
            return;
        }
        for (byte[] bytes = pendingInput.poll(); bytes != null; bytes = pendingInput.poll()) {
            if (bytes == INPUT_CLOSED) {
                inputClosed = true;
                continue;
            }
            if (request.getStdin() && !inputClosed) {
                joined.write(bytes);
            }
            stream.consumed(bytes.length);
        }
    }

    @Override
    public void onResize(int cols, int rows) {
        Consoles.Console joined = console;
        if (joined != null && request.getTty()) {
            inbound.execute(() -> joined.resize(cols, rows));
        }
    }

    @Override
    public void onCancel(Cancel cancel) {
        detach();
        finish(StreamEnds.error(ErrorCode.ERROR_CODE_CANCELLED, "detached"));
    }

    @Override
    void stopOnConnectionLost() {
        detach();
    }

    private void detach() {
        Consoles.Console joined = console;
        if (joined != null) {
            joined.detach(this);
        }
    }
}
