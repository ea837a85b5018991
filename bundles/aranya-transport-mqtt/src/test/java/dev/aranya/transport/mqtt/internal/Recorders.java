package dev.aranya.transport.mqtt.internal;

import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.v1.Frame;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Handlers and listeners that record what a transport delivers, for tests to wait on. */
final class Recorders {
    private Recorders() {
    }

    static final class Frames implements FrameHandler {
        final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();

        @Override
        public void onFrame(Frame frame) {
            frames.add(frame);
        }

        @Override
        public void onClosed(String reason) {
            closed.complete(reason);
        }

        Frame next() throws InterruptedException {
            Frame frame = frames.poll(10, TimeUnit.SECONDS);
            if (frame == null) {
                throw new AssertionError("no frame within 10 s");
            }
            return frame;
        }
    }

    /** A session layer stand-in: records each connection and gives it a {@link Frames}. */
    static final class Connections implements DeviceConnectionListener {
        final BlockingQueue<DeviceConnection> connections = new LinkedBlockingQueue<>();
        final BlockingQueue<Frames> handlers = new LinkedBlockingQueue<>();

        @Override
        public FrameHandler connected(DeviceConnection connection) {
            Frames handler = new Frames();
            connections.add(connection);
            handlers.add(handler);
            return handler;
        }

        DeviceConnection nextConnection() throws InterruptedException {
            DeviceConnection connection = connections.poll(10, TimeUnit.SECONDS);
            if (connection == null) {
                throw new AssertionError("no connection within 10 s");
            }
            return connection;
        }

        Frames nextHandler() throws InterruptedException {
            return handlers.poll(10, TimeUnit.SECONDS);
        }
    }
}
