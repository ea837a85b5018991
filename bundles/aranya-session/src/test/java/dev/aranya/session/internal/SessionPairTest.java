package dev.aranya.session.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.api.agent.AgentStreamListener;
import dev.aranya.api.agent.HostStreams;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.SessionListener;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.PortForward;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.session.agent.AgentConnection;
import dev.aranya.session.agent.AgentEndpoint;
import dev.aranya.session.agent.AgentSettings;
import dev.aranya.session.agent.Disconnect;
import dev.aranya.session.agent.HelloRefusedException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Both ends of the protocol wired together in memory. */
class SessionPairTest {
    static final DeviceId DEVICE = new DeviceId("edge", "sess-pi");
    static final int WINDOW = 64 << 10;
    static final Set<String> ALL = Set.of(Capabilities.EXEC, Capabilities.ATTACH, Capabilities.LOGS,
            Capabilities.PORT_FORWARD, Capabilities.TTY);

    final ScheduledExecutorService cloudScheduler = Executors.newScheduledThreadPool(1);
    final ScheduledExecutorService agentScheduler = Executors.newScheduledThreadPool(1);
    // heartbeats and grace long enough that a busy machine does not end sessions by accident
    final SessionRegistry registry = registry(Duration.ofSeconds(1), 5);
    final Events events = new Events();
    final EchoHost host = new EchoHost();

    SessionRegistry registry(Duration heartbeat, int missLimit) {
        return new SessionRegistry(new SessionSettings(heartbeat, missLimit, Duration.ofMillis(200), WINDOW, 1 << 20, 8,
                Duration.ofSeconds(5), Duration.ofSeconds(5), "test"), cloudScheduler);
    }

    @AfterEach
    void stop() {
        registry.stop();
        agentScheduler.shutdownNow();
    }

    AgentEndpoint agent(DeviceId claimed, HostStreams hostStreams) {
        return new AgentEndpoint(new AgentSettings(claimed, "0.0.1-test", ALL, 1 << 20, WINDOW, 8, Duration.ofSeconds(5)),
                hostStreams, () -> NodeInfo.newBuilder().setHostname("pi").setArchitecture("arm64").build(),
                () -> NodeStatus.newBuilder().setUptimeSeconds(42).build(), agentScheduler);
    }

    AgentConnection connect(MemoryLink link) throws Exception {
        return agent(DEVICE, host).connect(link, Map.of());
    }

    DeviceSession online() throws InterruptedException {
        String event = events.next();
        assertThat(event).isEqualTo("online " + DEVICE);
        return registry.find(DEVICE).orElseThrow();
    }

    static Frame exec(boolean stdin) {
        return Frame.newBuilder().setExec(Exec.newBuilder().addCommand("cat").setStdin(stdin).setStdout(true)
                .setStderr(true)).build();
    }

    @Test
    void helloBringsTheDeviceOnlineWithItsNodeInfoAndStatus() throws Exception {
        registry.watch(events);
        connect(new MemoryLink(registry.connectionListener(), DEVICE));

        DeviceSession session = online();
        assertThat(session.nodeInfo().getHostname()).isEqualTo("pi");
        assertThat(session.agentVersion()).isEqualTo("0.0.1-test");
        assertThat(session.capabilities()).containsAll(ALL);
        assertThat(events.next()).isEqualTo("status " + DEVICE + " uptime 42");
        assertThat(registry.all()).containsExactly(session);
    }

    @Test
    void aHelloForAnotherDeviceIsRefusedAsUnauthenticated() {
        registry.watch(events);
        MemoryLink link = new MemoryLink(registry.connectionListener(), DEVICE);

        assertThatThrownBy(() -> agent(new DeviceId("edge", "someone-else"), host).connect(link, Map.of()))
                .isInstanceOfSatisfying(HelloRefusedException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_UNAUTHENTICATED))
                .hasMessageContaining("edge/someone-else").hasMessageContaining("authenticated as edge/sess-pi");
        assertThat(registry.find(DEVICE)).isEmpty();
    }

    @Test
    void anAranyaThatNeverAnswersTheHelloFailsTheConnectAfterTheHelloTimeout() {
        List<String> closed = new CopyOnWriteArrayList<>();
        dev.aranya.api.transport.CloudLink silent = new dev.aranya.api.transport.CloudLink() {
            @Override
            public String method() {
                return "silent";
            }

            @Override
            public dev.aranya.api.transport.DeviceConnection connect(Map<String, String> settings,
                                                                     dev.aranya.api.transport.FrameHandler handler) {
                return new dev.aranya.api.transport.DeviceConnection() {
                    @Override
                    public DeviceId device() {
                        return DEVICE;
                    }

                    @Override
                    public String method() {
                        return "silent";
                    }

                    @Override
                    public String peer() {
                        return "nobody";
                    }

                    @Override
                    public boolean send(Frame frame) {
                        return true;
                    }

                    @Override
                    public void close(String reason) {
                        closed.add(reason);
                    }
                };
            }
        };
        AgentEndpoint endpoint = new AgentEndpoint(new AgentSettings(DEVICE, "0.0.1-test", ALL, 1 << 20, WINDOW, 8,
                Duration.ofMillis(300)), host, NodeInfo::getDefaultInstance, NodeStatus::getDefaultInstance, agentScheduler);

        long start = System.nanoTime();
        assertThatThrownBy(() -> endpoint.connect(silent, Map.of())).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("before the hello completed").hasMessageContaining("300 ms");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(10_000);
        assertThat(closed).hasSize(1);
    }

    @Test
    void aSilentAgentIsDeclaredDeadAfterTheMissedHeartbeats() throws Exception {
        SessionRegistry fast = registry(Duration.ofMillis(100), 3);
        try {
            fast.watch(events);
            MemoryLink link = new MemoryLink(fast.connectionListener(), DEVICE);
            AgentConnection connection = connect(link);
            assertThat(events.next()).isEqualTo("online " + DEVICE);
            events.drainStatus();

            long silentSince = System.nanoTime();
            link.muteAgent = true;
            String offline = events.nextNonStatus(Duration.ofSeconds(10));
            long detectedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - silentSince);

            assertThat(offline).startsWith("offline " + DEVICE).contains("no frame from the peer for 300 ms");
            // the last frame may have come up to a heartbeat before the mute
            assertThat(detectedAfterMs).isBetween(100L, 10_000L);
            assertThat(connection.disconnected().toCompletableFuture().get(10, TimeUnit.SECONDS).reason()).isNotEmpty();
        } finally {
            fast.stop();
        }
    }

    @Test
    void execCarriesDataBothWaysAndEndsWithTheExitCode() throws Exception {
        registry.watch(events);
        connect(new MemoryLink(registry.connectionListener(), DEVICE));
        DeviceSession session = online();

        Collector client = new Collector(true);
        DeviceStream stream = session.open(exec(true), client);
        client.stream = stream;
        stream.accepted().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(stream.write(Channel.CHANNEL_STDIN, utf8("hello device\n"))).isEqualTo(13);
        stream.halfClose(Channel.CHANNEL_STDIN);

        StreamEnd end = stream.ended().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(end.hasError()).isFalse();
        assertThat(end.getExitCode()).isZero();
        assertThat(client.text()).isEqualTo("HELLO DEVICE\n");
        assertThat(client.halfClosed).containsExactly(Channel.CHANNEL_STDOUT);
        assertThat(session.openStreams()).isZero();
        assertThat(host.opened.get()).isEqualTo(1);
    }

    @Test
    void aStalledConsumerStopsTheSenderAtOneWindowAndCreditResumesIt() throws Exception {
        registry.watch(events);
        FloodHost flood = new FloodHost();
        agent(DEVICE, flood).connect(new MemoryLink(registry.connectionListener(), DEVICE), Map.of());
        DeviceSession session = online();

        Collector stalled = new Collector(false); // never returns credit
        DeviceStream stream = session.open(exec(false), stalled);
        stream.accepted().toCompletableFuture().get(10, TimeUnit.SECONDS);
        // the agent counts a write as sent once it returned, which may be after the frames arrived here
        waitFor(() -> stalled.received.get() >= WINDOW && flood.sent.get() >= WINDOW);
        Thread.sleep(200);

        // 10 MiB offered, one window taken: the agent's write returned less than offered and holds the rest
        assertThat(flood.sent.get()).isEqualTo(WINDOW);
        assertThat(flood.refusedWrites.get()).isPositive();
        assertThat(stalled.received.get()).isEqualTo(WINDOW);

        stream.consumed(WINDOW);
        waitFor(() -> stalled.received.get() >= 2L * WINDOW && flood.sent.get() >= 2L * WINDOW);
        assertThat(flood.sent.get()).isEqualTo(2L * WINDOW);
        assertThat(stalled.received.get()).isEqualTo(2L * WINDOW);
    }

    @Test
    void resizeReachesTheTerminalOfATtyStreamOnly() throws Exception {
        registry.watch(events);
        connect(new MemoryLink(registry.connectionListener(), DEVICE));
        DeviceSession session = online();
        DeviceStream tty = session.open(Frame.newBuilder().setExec(Exec.newBuilder().addCommand("sh").setTty(true)
                .setStdin(true).setStdout(true)).build(), new Collector(true));
        DeviceStream plain = session.open(exec(true), new Collector(true));
        tty.accepted().toCompletableFuture().get(10, TimeUnit.SECONDS);
        plain.accepted().toCompletableFuture().get(10, TimeUnit.SECONDS);

        plain.resize(100, 30);
        tty.resize(120, 40);

        waitFor(() -> !host.resizes.isEmpty());
        Thread.sleep(100);
        assertThat(host.resizes).containsExactly("120x40");
    }

    @Test
    void cancelStopsTheWorkAndTheAgentReportsHowItEnded() throws Exception {
        registry.watch(events);
        connect(new MemoryLink(registry.connectionListener(), DEVICE));
        DeviceSession session = online();

        DeviceStream stream = session.open(exec(true), new Collector(true));
        stream.accepted().toCompletableFuture().get(10, TimeUnit.SECONDS);
        stream.cancel("client went away");

        StreamEnd end = stream.ended().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(end.getExitCode()).isEqualTo(143);
        assertThat(host.cancels).containsExactly("client went away");
    }

    @Test
    void losingTheSessionEndsEveryOpenStreamAsUnavailable() throws Exception {
        registry.watch(events);
        MemoryLink link = new MemoryLink(registry.connectionListener(), DEVICE);
        connect(link);
        DeviceSession session = online();
        DeviceStream first = session.open(exec(true), new Collector(true));
        DeviceStream second = session.open(Frame.newBuilder().setPortForward(PortForward.newBuilder().setPort(22)
                .setProtocol(PortForward.Protocol.PROTOCOL_TCP)).build(), new Collector(true));
        first.accepted().toCompletableFuture().get(10, TimeUnit.SECONDS);
        second.accepted().toCompletableFuture().get(10, TimeUnit.SECONDS);

        link.last.breakLink("cable pulled");

        for (DeviceStream stream : List.of(first, second)) {
            StreamEnd end = stream.ended().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(end.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_UNAVAILABLE);
            assertThat(end.getError().getMessage()).contains("cable pulled");
        }
        assertThat(events.nextNonStatus(Duration.ofSeconds(2))).isEqualTo("offline " + DEVICE + ": cable pulled");
        waitFor(() -> host.lost.size() >= 2); // the agent learns of the break on its own side of the link
        assertThat(host.lost).hasSize(2);
        // a stream opened on a lost session has already ended
        StreamEnd late = session.open(exec(false), new Collector(true)).ended().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(late.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_UNAVAILABLE);
    }

    @Test
    void aNewerConnectionOfTheDeviceReplacesTheOlder() throws Exception {
        registry.watch(events);
        MemoryLink link = new MemoryLink(registry.connectionListener(), DEVICE);
        AgentConnection older = connect(link);
        DeviceSession first = online();

        AgentConnection newer = connect(link);

        Disconnect end = older.disconnected().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(end.goodbye()).isEqualTo(GoodbyeReason.GOODBYE_REASON_REPLACED);
        assertThat(events.nextNonStatus(Duration.ofSeconds(2))).startsWith("offline " + DEVICE);
        assertThat(events.nextNonStatus(Duration.ofSeconds(2))).isEqualTo("online " + DEVICE);
        assertThat(registry.find(DEVICE).orElseThrow()).isNotSameAs(first);
        assertThat(newer.disconnected().toCompletableFuture().isDone()).isFalse();
    }

    @Test
    void disconnectTellsTheAgentTheDeviceWasRemoved() throws Exception {
        registry.watch(events);
        AgentConnection connection = connect(new MemoryLink(registry.connectionListener(), DEVICE));
        online();

        registry.disconnect(DEVICE, "EdgeDevice deleted");

        Disconnect end = connection.disconnected().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(end.goodbye()).isEqualTo(GoodbyeReason.GOODBYE_REASON_DEVICE_REMOVED);
        assertThat(end.reason()).contains("EdgeDevice deleted");
    }

    /** Waits up to 5 s for a condition that other threads make true. */
    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("the condition did not hold within 10 s");
            }
            Thread.sleep(10);
        }
    }

    static ByteBuffer utf8(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Session events as text, in the order listeners heard them. */
    static final class Events implements SessionListener {
        final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

        @Override
        public void online(DeviceSession session) {
            queue.add("online " + session.device());
        }

        @Override
        public void offline(DeviceId device, String reason) {
            queue.add("offline " + device + ": " + reason);
        }

        @Override
        public void statusReported(DeviceSession session, NodeStatus status) {
            queue.add("status " + session.device() + " uptime " + status.getUptimeSeconds());
        }

        String next() throws InterruptedException {
            String event = queue.poll(10, TimeUnit.SECONDS);
            assertThat(event).as("a session event").isNotNull();
            return event;
        }

        String nextNonStatus(Duration timeout) throws InterruptedException {
            long until = System.nanoTime() + timeout.toNanos();
            String event;
            do {
                event = queue.poll(until - System.nanoTime(), TimeUnit.NANOSECONDS);
            } while (event != null && event.startsWith("status "));
            assertThat(event).as("a session event").isNotNull();
            return event;
        }

        void drainStatus() {
            queue.removeIf(event -> event.startsWith("status "));
        }
    }

    /** A kubelet-side consumer: collects stdout; returns credit at once unless it plays a stalled client. */
    static final class Collector implements StreamListener {
        final boolean consume;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final AtomicLong received = new AtomicLong();
        final List<Channel> halfClosed = new CopyOnWriteArrayList<>();
        volatile DeviceStream stream;

        Collector(boolean consume) {
            this.consume = consume;
        }

        @Override
        public synchronized void onData(Channel channel, ByteBuffer data) {
            int size = data.remaining();
            byte[] bytes = new byte[size];
            data.get(bytes);
            out.writeBytes(bytes);
            received.addAndGet(size);
            if (consume && stream != null) {
                stream.consumed(size);
            }
        }

        @Override
        public void onHalfClose(Channel channel) {
            halfClosed.add(channel);
        }

        @Override
        public void onEnd(StreamEnd end) {
        }

        synchronized String text() {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** The agent's host: upper-cases stdin to stdout, exits 0 at stdin's end, 143 on cancel. */
    static final class EchoHost implements HostStreams {
        final AtomicInteger opened = new AtomicInteger();
        final List<String> cancels = new CopyOnWriteArrayList<>();
        final List<String> lost = new CopyOnWriteArrayList<>();
        final List<String> resizes = new CopyOnWriteArrayList<>();

        @Override
        public AgentStreamListener open(Frame opening, AgentStream stream) {
            opened.incrementAndGet();
            stream.accept();
            Channel out = opening.hasPortForward() ? Channel.CHANNEL_PORT_DATA : Channel.CHANNEL_STDOUT;
            return new AgentStreamListener() {
                @Override
                public void onData(Channel channel, ByteBuffer data) {
                    int size = data.remaining();
                    String text = StandardCharsets.UTF_8.decode(data).toString().toUpperCase();
                    stream.write(out, utf8(text));
                    stream.consumed(size);
                }

                @Override
                public void onHalfClose(Channel channel) {
                    stream.halfClose(out);
                    stream.end(StreamEnd.newBuilder().setExitCode(0).build());
                }

                @Override
                public void onResize(int cols, int rows) {
                    resizes.add(cols + "x" + rows);
                }

                @Override
                public void onCancel(Cancel cancel) {
                    cancels.add(cancel.getReason());
                    stream.end(StreamEnd.newBuilder().setExitCode(143).build());
                }

                @Override
                public void onConnectionLost(String reason) {
                    lost.add(reason);
                }
            };
        }
    }

    /** The agent's host: offers 10 MiB of stdout as fast as the window lets it. */
    static final class FloodHost implements HostStreams {
        final AtomicLong sent = new AtomicLong();
        final AtomicInteger refusedWrites = new AtomicInteger();
        final ByteBuffer chunk = ByteBuffer.allocate(16 << 10);
        long remaining = 10L << 20;

        @Override
        public AgentStreamListener open(Frame opening, AgentStream stream) {
            stream.accept();
            pump(stream);
            return new AgentStreamListener() {
                @Override
                public void onData(Channel channel, ByteBuffer data) {
                }

                @Override
                public void onWritable() {
                    pump(stream);
                }

                @Override
                public void onCancel(Cancel cancel) {
                }

                @Override
                public void onConnectionLost(String reason) {
                }
            };
        }

        private synchronized void pump(AgentStream stream) {
            while (remaining > 0) {
                chunk.clear();
                chunk.limit((int) Math.min(chunk.capacity(), remaining));
                int offered = chunk.remaining();
                int taken = stream.write(Channel.CHANNEL_STDOUT, chunk);
                sent.addAndGet(taken);
                remaining -= taken;
                if (taken < offered) {
                    refusedWrites.incrementAndGet();
                    return;
                }
            }
        }
    }
}
