package dev.aranya.transport.grpc.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.v1.Frame;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One protocol connection on a gRPC call, on either end: each message is one frame. The session layer above checks
 * and orders the frames; this only moves them and reports the call's end once.
 */
final class GrpcDeviceConnection implements DeviceConnection {
    /** The call's side: sends one message, or ends the call. Calls on it are serialized here. */
    interface Call {
        void send(Frame frame);

        void end(String reason);
    }

    private final DeviceId device;
    private final String peer;
    private final int maxInboundFrameSize;
    private final Call call;
    private final Consumer<GrpcDeviceConnection> onClosed;
    private volatile FrameHandler handler;
    private boolean closed; // guarded by this
    private String closeReason; // guarded by this
    private boolean handlerToldClosed; // guarded by this
    private final List<Runnable> endActions = new ArrayList<>(); // guarded by this

    GrpcDeviceConnection(DeviceId device, String peer, int maxInboundFrameSize, Call call,
                         Consumer<GrpcDeviceConnection> onClosed) {
        this.device = device;
        this.peer = peer;
        this.maxInboundFrameSize = maxInboundFrameSize;
        this.call = call;
        this.onClosed = onClosed;
    }

    /**
     * Hands the connection to its handler. A connection closed before this (the transport stopping while the
     * session layer took the call) tells the new handler at once: otherwise its session would never end.
     */
    void setHandler(FrameHandler handler) {
        String reason;
        synchronized (this) {
            this.handler = handler;
            if (!closed || handlerToldClosed) {
                return;
            }
            handlerToldClosed = true;
            reason = closeReason;
        }
        handler.onClosed(reason);
    }

    /** A message arrived on the call; gRPC delivers one at a time. */
    void receive(Frame frame) {
        FrameHandler target = handler;
        if (target != null && !isClosed()) {
            target.onFrame(frame);
        }
    }

    /** The call ended from the other side or the network. */
    void ended(String reason) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            closeReason = reason;
        }
        notifyClosed(reason);
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public DeviceId device() {
        return device;
    }

    @Override
    public String method() {
        return Aranya.METHOD_GRPC;
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public int maxInboundFrameSize() {
        return maxInboundFrameSize;
    }

    @Override
    public synchronized boolean send(Frame frame) {
        if (closed) {
            return false;
        }
        try {
            call.send(frame);
            return true;
        } catch (RuntimeException callAlreadyGone) {
            return false;
        }
    }

    @Override
    public void close(String reason) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            closeReason = reason;
            call.end(reason);
        }
        notifyClosed(reason);
    }

    /** Runs the action when the connection closes, or at once if it has. */
    void onEnded(Runnable action) {
        synchronized (this) {
            if (!closed) {
                endActions.add(action);
                return;
            }
        }
        action.run();
    }

    private void notifyClosed(String reason) {
        onClosed.accept(this);
        List<Runnable> actions;
        synchronized (this) {
            actions = List.copyOf(endActions);
            endActions.clear();
        }
        actions.forEach(Runnable::run);
        FrameHandler target;
        synchronized (this) {
            target = handlerToldClosed ? null : handler;
            handlerToldClosed |= target != null;
        }
        if (target != null) {
            target.onClosed(reason);
        }
    }

    @Override
    public String toString() {
        return "gRPC connection of " + device + " (" + peer + ")";
    }
}
