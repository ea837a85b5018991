package dev.aranya.itests.support;

import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceSessions;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.SessionListener;
import dev.aranya.api.session.StreamException;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.DeviceConnectionListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.StreamEnd;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link DeviceSessions} double for one always-online device whose streams run on this machine, standing in for
 * the session layer and an agent: exec and attach run a local process ({@code sh} for attach), logs replay the given
 * lines, port-forward connects to the port on 127.0.0.1. Both directions are bounded by windows like the real
 * session's, so a test sees the same back-pressure.
 */
public final class LocalDeviceSessions implements DeviceSessions {
    private static final int WINDOW = 256 * 1024;

    private final DeviceId device;
    private final List<String> logLines;
    private final LocalSession session = new LocalSession();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final AtomicInteger cancelledStreams = new AtomicInteger();

    public LocalDeviceSessions(DeviceId device, List<String> logLines) {
        this.device = device;
        this.logLines = List.copyOf(logLines);
    }

    private volatile boolean online = true;

    /** Takes the device off line (no session) or back. */
    public void online(boolean online) {
        this.online = online;
    }

    /** How many streams were cancelled by the kubelet side (the client went away). */
    public int cancelledStreams() {
        return cancelledStreams.get();
    }

    public int openStreams() {
        return openStreams.get();
    }

    @Override
    public DeviceConnectionListener connectionListener() {
        throw new UnsupportedOperationException("no transports in this double");
    }

    @Override
    public Optional<DeviceSession> find(DeviceId id) {
        return online && device.equals(id) ? Optional.of(session) : Optional.empty();
    }

    @Override
    public Collection<DeviceSession> all() {
        return List.of(session);
    }

    @Override
    public AutoCloseable watch(SessionListener listener) {
        listener.online(session);
        return () -> { };
    }

    @Override
    public void disconnect(DeviceId id, String reason) {
    }

    private static Thread daemon(Runnable work) {
        Thread thread = new Thread(work, "local-device-stream");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private final class LocalSession implements DeviceSession {
        private final Instant connectedAt = Instant.now();

        @Override
        public DeviceId device() {
            return device;
        }

        @Override
        public String method() {
            return "local";
        }

        @Override
        public String peer() {
            return "this JVM";
        }

        @Override
        public String agentVersion() {
            return "test";
        }

        @Override
        public Set<String> capabilities() {
            return Set.of("exec", "attach", "logs", "port-forward");
        }

        @Override
        public Instant connectedAt() {
            return connectedAt;
        }

        @Override
        public Instant lastSeen() {
            return Instant.now();
        }

        @Override
        public NodeInfo nodeInfo() {
            return NodeInfo.newBuilder().setHostname("local").setOs("linux").build();
        }

        @Override
        public Optional<NodeStatus> lastStatus() {
            return Optional.of(NodeStatus.newBuilder().setMemoryUsageBytes(1 << 20).setCpuUsageCoreNanoseconds(5_000_000_000L).build());
        }

        @Override
        public int openStreams() {
            return openStreams.get();
        }

        @Override
        public DeviceStream open(Frame opening, StreamListener listener) {
            LocalStream stream = new LocalStream(listener);
            openStreams.incrementAndGet();
            daemon(() -> stream.run(opening));
            return stream;
        }

        @Override
        public void close(String reason) {
        }
    }

    /** One stream: a worker thread per direction, windows of {@value #WINDOW} bytes each way. */
    private final class LocalStream implements DeviceStream {
        private final StreamListener listener;
        private final CompletableFuture<Void> accepted = new CompletableFuture<>();
        private final CompletableFuture<StreamEnd> ended = new CompletableFuture<>();
        /** Bytes from the kubelet, for the process's stdin or the socket; null marks the half-close. */
        private final BlockingQueue<byte[]> input = new LinkedBlockingQueue<>();
        private final Object windows = new Object();
        private int sendWindow = WINDOW;
        private int receiveCredit = WINDOW;
        private volatile Runnable onCancel = () -> { };

        LocalStream(StreamListener listener) {
            this.listener = listener;
        }

        void run(Frame opening) {
            try {
                switch (opening.getBodyCase()) {
                    case EXEC -> process(new ProcessBuilder(opening.getExec().getCommandList()));
                    case ATTACH -> process(new ProcessBuilder("sh"));
                    case LOGS -> logs(opening.getLogs());
                    case PORT_FORWARD -> portForward(opening.getPortForward().getPort());
                    default -> end(error(ErrorCode.ERROR_CODE_UNSUPPORTED, "unsupported: " + opening.getBodyCase()));
                }
            } catch (IOException | RuntimeException failure) {
                end(error(ErrorCode.ERROR_CODE_INTERNAL, failure.getMessage()));
            } catch (InterruptedException interrupted) {
                end(error(ErrorCode.ERROR_CODE_CANCELLED, "interrupted"));
            }
        }

        private void process(ProcessBuilder builder) throws IOException, InterruptedException {
            Process process;
            try {
                process = builder.start();
            } catch (IOException notFound) {
                end(error(ErrorCode.ERROR_CODE_NOT_FOUND, notFound.getMessage()));
                return;
            }
            onCancel = process::destroyForcibly;
            accepted.complete(null);
            Thread stdin = pump(process.getOutputStream());
            Thread stderr = daemon(() -> copyOut(process.getErrorStream(), Channel.CHANNEL_STDERR));
            copyOut(process.getInputStream(), Channel.CHANNEL_STDOUT);
            stderr.join();
            int exit = process.waitFor();
            stdin.interrupt();
            end(StreamEnd.newBuilder().setExitCode(exit).build());
        }

        private void logs(dev.aranya.protocol.v1.Logs logs) throws InterruptedException {
            accepted.complete(null);
            List<String> lines = logLines;
            if (logs.hasTailLines()) {
                lines = lines.subList(Math.max(0, lines.size() - (int) logs.getTailLines()), lines.size());
            }
            for (String line : lines) {
                deliver(Channel.CHANNEL_STDOUT, (line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            if (logs.getFollow()) {
                CompletableFuture<Void> cancelled = new CompletableFuture<>();
                onCancel = () -> cancelled.complete(null);
                cancelled.join();
            }
            end(StreamEnd.newBuilder().build());
        }

        private void portForward(int port) throws IOException, InterruptedException {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            } catch (IOException refused) {
                end(error(ErrorCode.ERROR_CODE_UNAVAILABLE, "dial tcp 127.0.0.1:" + port + ": " + refused.getMessage()));
                return;
            }
            onCancel = () -> {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing is all that is wanted
                }
            };
            accepted.complete(null);
            Thread writer = pump(new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    socket.getOutputStream().write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    socket.getOutputStream().write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    socket.shutdownOutput();
                }
            });
            copyOut(socket.getInputStream(), Channel.CHANNEL_PORT_DATA);
            listener.onHalfClose(Channel.CHANNEL_PORT_DATA);
            writer.join();
            socket.close();
            end(StreamEnd.newBuilder().build());
        }

        /** Feeds the kubelet's bytes to {@code out}, returning send window as they are written. */
        private Thread pump(OutputStream out) {
            return daemon(() -> {
                try (out) {
                    while (true) {
                        byte[] chunk = input.take();
                        if (chunk.length == 0) {
                            return;
                        }
                        out.write(chunk);
                        out.flush();
                        synchronized (windows) {
                            sendWindow += chunk.length;
                        }
                        listener.onWritable();
                    }
                } catch (IOException | InterruptedException gone) {
                    // the process or socket is gone; its end is reported by the reading side
                }
            });
        }

        private void copyOut(InputStream in, Channel channel) {
            byte[] buffer = new byte[16 * 1024];
            try {
                int read;
                while ((read = in.read(buffer)) > 0) {
                    deliver(channel, java.util.Arrays.copyOf(buffer, read));
                }
            } catch (IOException | InterruptedException closed) {
                // end of output
            }
        }

        /** Waits for receive credit, then hands the bytes to the listener. */
        private void deliver(Channel channel, byte[] bytes) throws InterruptedException {
            synchronized (windows) {
                while (receiveCredit < bytes.length && !ended.isDone()) {
                    windows.wait(1000);
                }
                if (ended.isDone()) {
                    return;
                }
                receiveCredit -= bytes.length;
            }
            listener.onData(channel, ByteBuffer.wrap(bytes));
        }

        private StreamEnd error(ErrorCode code, String message) {
            return StreamEnd.newBuilder().setError(ErrorInfo.newBuilder().setCode(code).setMessage(String.valueOf(message))).build();
        }

        private void end(StreamEnd end) {
            if (ended.complete(end)) {
                if (end.hasError() && !accepted.isDone()) {
                    accepted.completeExceptionally(new StreamException(end.getError()));
                }
                openStreams.decrementAndGet();
                synchronized (windows) {
                    windows.notifyAll();
                }
                listener.onEnd(end);
            }
        }

        @Override
        public CompletionStage<Void> accepted() {
            return accepted;
        }

        @Override
        public CompletionStage<StreamEnd> ended() {
            return ended;
        }

        @Override
        public int write(Channel channel, ByteBuffer data) {
            int size;
            synchronized (windows) {
                size = Math.min(sendWindow, data.remaining());
                sendWindow -= size;
            }
            if (size == 0) {
                return 0;
            }
            byte[] chunk = new byte[size];
            data.get(chunk);
            if (!input.offer(chunk)) {
                throw new IllegalStateException("more than the window was queued");
            }
            return size;
        }

        @Override
        public boolean writable() {
            synchronized (windows) {
                return sendWindow > 0;
            }
        }

        @Override
        public void halfClose(Channel channel) {
            input.offer(new byte[0]);
        }

        @Override
        public void resize(int cols, int rows) {
        }

        @Override
        public void consumed(int bytes) {
            synchronized (windows) {
                receiveCredit += bytes;
                windows.notifyAll();
            }
        }

        @Override
        public void cancel(String reason) {
            cancelledStreams.incrementAndGet();
            onCancel.run();
            end(error(ErrorCode.ERROR_CODE_CANCELLED, reason));
        }
    }
}
