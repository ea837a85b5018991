package dev.aranya.session.internal;

import dev.aranya.api.transport.CloudLink;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.v1.Frame;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An in-memory transport: each connect makes a pair of connections whose frames travel, in order, on one thread
 * per direction. {@link #muteAgent} drops everything the agent sends from then on (a peer that went silent).
 */
final class MemoryLink implements CloudLink {
    private final DeviceConnectionListener cloud;
    private final DeviceId authenticatedAs;
    volatile boolean muteAgent;
    volatile Pair last;

    MemoryLink(DeviceConnectionListener cloud, DeviceId authenticatedAs) {
        this.cloud = cloud;
        this.authenticatedAs = authenticatedAs;
    }

    @Override
    public String method() {
        return "memory";
    }

    @Override
    public DeviceConnection connect(Map<String, String> settings, FrameHandler agentHandler) {
        Pair pair = new Pair();
        pair.agentHandler = agentHandler;
        pair.cloudHandler = cloud.connected(pair.cloudEnd);
        last = pair;
        return pair.agentEnd;
    }

    final class Pair {
        private final ExecutorService toAgent = Executors.newSingleThreadExecutor();
        private final ExecutorService toCloud = Executors.newSingleThreadExecutor();
        private final AtomicBoolean closed = new AtomicBoolean();
        volatile FrameHandler agentHandler;
        volatile FrameHandler cloudHandler;
        final End cloudEnd = new End(true);
        final End agentEnd = new End(false);

        /** The link breaks (a cable pulled): both sides learn it. */
        void breakLink(String reason) {
            if (closed.compareAndSet(false, true)) {
                toCloud.execute(() -> cloudHandler.onClosed(reason));
                toAgent.execute(() -> agentHandler.onClosed(reason));
                toCloud.shutdown();
                toAgent.shutdown();
            }
        }

        final class End implements DeviceConnection {
            private final boolean cloudSide;

            End(boolean cloudSide) {
                this.cloudSide = cloudSide;
            }

            @Override
            public DeviceId device() {
                return authenticatedAs;
            }

            @Override
            public String method() {
                return "memory";
            }

            @Override
            public String peer() {
                return cloudSide ? "agent" : "aranya";
            }

            @Override
            public boolean send(Frame frame) {
                if (closed.get()) {
                    return false;
                }
                if (cloudSide) {
                    toAgent.execute(() -> agentHandler.onFrame(frame));
                } else if (!muteAgent) {
                    toCloud.execute(() -> cloudHandler.onFrame(frame));
                }
                return true;
            }

            @Override
            public void close(String reason) {
                breakLink(reason);
            }
        }
    }
}
