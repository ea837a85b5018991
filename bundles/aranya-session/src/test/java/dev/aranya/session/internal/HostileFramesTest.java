package dev.aranya.session.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.transport.FrameHandler;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.ProtocolVersion;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Data;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.Hello;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.Ping;
import dev.aranya.protocol.v1.StreamAccepted;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.protocol.v1.WindowUpdate;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A hand-driven agent that breaks the protocol: each violation ends only its own connection, with a reason. */
class HostileFramesTest {
    static final DeviceId DEVICE = new DeviceId("edge", "sess-hostile");
    static final long CONNECTION = 0x5eed;
    static final int WINDOW = 32 << 10;

    final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    final SessionRegistry registry = new SessionRegistry(new SessionSettings(Duration.ofSeconds(10), 3,
            Duration.ofSeconds(30), WINDOW, 1 << 20, 8, Duration.ofMillis(500), Duration.ofSeconds(1), "test"), scheduler);

    @AfterEach
    void stop() {
        registry.stop();
    }

    /** A connection whose agent side is the test itself. */
    final class RawAgent implements DeviceConnection {
        final List<Frame> received = new CopyOnWriteArrayList<>();
        volatile String closedWith;
        final FrameHandler cloud = registry.connectionListener().connected(this);
        long sequence;

        @Override
        public DeviceId device() {
            return DEVICE;
        }

        @Override
        public String method() {
            return "raw";
        }

        @Override
        public String peer() {
            return "test";
        }

        @Override
        public boolean send(Frame frame) {
            received.add(frame);
            return closedWith == null;
        }

        @Override
        public void close(String reason) {
            closedWith = reason;
        }

        void send(Frame.Builder frame) {
            cloud.onFrame(frame.setConnectionId(CONNECTION).setSequence(++sequence).build());
        }

        RawAgent hello() {
            send(Frame.newBuilder().setHello(Hello.newBuilder().setDeviceNamespace(DEVICE.namespace())
                    .setDeviceName(DEVICE.name()).setProtocolVersion(ProtocolVersion.CURRENT)
                    .addCapabilities(Capabilities.EXEC)));
            send(Frame.newBuilder().setNodeInfo(NodeInfo.newBuilder().setHostname("hostile")));
            assertThat(received.get(0).hasHelloAck()).isTrue();
            return this;
        }

        Frame goodbye() {
            Frame last = received.get(received.size() - 1);
            assertThat(last.hasGoodbye()).as("last frame %s is a Goodbye", last).isTrue();
            return last;
        }
    }

    @Test
    void aFirstFrameOtherThanHelloIsAProtocolError() {
        RawAgent agent = new RawAgent();
        agent.send(Frame.newBuilder().setPing(Ping.newBuilder().setNonce(1)));

        assertThat(agent.goodbye().getGoodbye().getReason()).isEqualTo(GoodbyeReason.GOODBYE_REASON_PROTOCOL_ERROR);
        assertThat(agent.closedWith).contains("the first frame must be a Hello");
    }

    @Test
    void aRepeatedSequenceIsAProtocolError() {
        RawAgent agent = new RawAgent().hello();
        agent.sequence--;
        agent.send(Frame.newBuilder().setPing(Ping.newBuilder().setNonce(2)));

        assertThat(agent.goodbye().getGoodbye().getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        assertThat(agent.closedWith).contains("repeated sequence");
        assertThat(registry.find(DEVICE)).isEmpty();
    }

    @Test
    void dataForAStreamNeverOpenedIsAProtocolError() {
        RawAgent agent = new RawAgent().hello();
        agent.send(Frame.newBuilder().setStreamId(7).setData(Data.newBuilder().setChannel(Channel.CHANNEL_STDOUT)
                .setPayload(ByteString.copyFromUtf8("x"))));

        assertThat(agent.closedWith).contains("never opened");
    }

    @Test
    void aBodyFromTheWrongDirectionIsAProtocolError() {
        RawAgent agent = new RawAgent().hello();
        agent.send(Frame.newBuilder().setStreamId(1).setExec(Exec.newBuilder().addCommand("sh")));

        assertThat(agent.closedWith).contains("EXEC is not sent by the agent");
    }

    @Test
    void dataBeyondTheWindowFailsOnlyThatStream() throws Exception {
        RawAgent agent = new RawAgent().hello();
        DeviceSession session = registry.find(DEVICE).orElseThrow();
        DeviceStream stream = session.open(Frame.newBuilder().setExec(Exec.newBuilder().addCommand("sh").setStdout(true))
                .build(), new SessionPairTest.Collector(false));
        agent.send(Frame.newBuilder().setStreamId(1).setStreamAccepted(StreamAccepted.getDefaultInstance()));
        agent.send(Frame.newBuilder().setStreamId(1).setData(Data.newBuilder().setChannel(Channel.CHANNEL_STDOUT)
                .setPayload(ByteString.copyFrom(new byte[WINDOW + 1]))));

        StreamEnd end = stream.ended().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(end.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_FLOW_CONTROL);
        assertThat(agent.received).anySatisfy(frame -> assertThat(frame.hasCancel()).isTrue());
        assertThat(agent.closedWith).isNull();
        // the stream is forgotten: its late frames are dropped, the connection lives on
        agent.send(Frame.newBuilder().setStreamId(1).setStreamEnd(StreamEnd.getDefaultInstance()));
        agent.send(Frame.newBuilder().setStreamId(1).setWindowUpdate(WindowUpdate.newBuilder().setCredit(1)));
        assertThat(agent.closedWith).isNull();
        assertThat(session.openStreams()).isZero();
    }

    @Test
    void aHelloWithoutACommonVersionIsRefused() {
        RawAgent agent = new RawAgent();
        agent.send(Frame.newBuilder().setHello(Hello.newBuilder().setDeviceNamespace(DEVICE.namespace())
                .setDeviceName(DEVICE.name()).setMinProtocolVersion(2).setProtocolVersion(3)));

        assertThat(agent.received).singleElement().satisfies(frame -> {
            assertThat(frame.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION);
            assertThat(frame.getError().getMessage()).contains("2..3").contains("1..1");
        });
        assertThat(agent.closedWith).contains("hello refused");
    }

    @Test
    void anUnknownControlBodyIsAnsweredAndTheConnectionLivesOn() {
        RawAgent agent = new RawAgent().hello();
        agent.send(Frame.newBuilder());

        Frame answer = agent.received.get(agent.received.size() - 1);
        assertThat(answer.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_UNSUPPORTED);
        assertThat(answer.getError().getRefSequence()).isEqualTo(agent.sequence);
        assertThat(agent.closedWith).isNull();
    }

    @Test
    void anOpeningTheAgentNeverAnswersTimesOutAndTheStreamLimitHolds() throws Exception {
        RawAgent agent = new RawAgent().hello();
        DeviceSession session = registry.find(DEVICE).orElseThrow();
        Frame exec = Frame.newBuilder().setExec(Exec.newBuilder().addCommand("sleep")).build();
        List<DeviceStream> open = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            open.add(session.open(exec, new SessionPairTest.Collector(true)));
        }

        StreamEnd ninth = session.open(exec, new SessionPairTest.Collector(true)).ended().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(ninth.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_RESOURCE_EXHAUSTED);
        StreamEnd first = open.get(0).ended().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(first.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_TIMEOUT);
        assertThat(open.get(0).accepted().toCompletableFuture()).isCompletedExceptionally();
        assertThat(agent.received).filteredOn(Frame::hasCancel).hasSizeGreaterThanOrEqualTo(1);
    }

    @Test
    void randomFramesNeverEscapeAsExceptionsAndEndTheConnectionAtMostOnce() {
        Random random = new Random(4);
        for (int round = 0; round < 300; round++) {
            RawAgent agent = new RawAgent();
            if (random.nextBoolean()) {
                agent.hello();
            }
            for (int i = 0; i < 20 && agent.closedWith == null; i++) {
                Frame.Builder frame = Frame.newBuilder().setStreamId(random.nextInt(4) == 0 ? 0 : random.nextInt(9));
                switch (random.nextInt(8)) {
                    case 0 -> frame.setData(Data.newBuilder().setChannel(Channel.forNumber(random.nextInt(5)))
                            .setPayload(ByteString.copyFrom(new byte[random.nextInt(3) * WINDOW])));
                    case 1 -> frame.setWindowUpdate(WindowUpdate.newBuilder().setCredit(random.nextInt()));
                    case 2 -> frame.setStreamEnd(StreamEnd.getDefaultInstance());
                    case 3 -> frame.setStreamAccepted(StreamAccepted.getDefaultInstance());
                    case 4 -> frame.setHello(Hello.newBuilder().setDeviceName("x"));
                    case 5 -> frame.setPing(Ping.getDefaultInstance());
                    case 6 -> frame.setNodeInfo(NodeInfo.getDefaultInstance());
                    default -> {
                        // no body: a later version's frame
                    }
                }
                if (random.nextInt(10) == 0) {
                    agent.sequence += random.nextInt(3) - 1;
                }
                agent.send(frame);
            }
            long goodbyes = agent.received.stream().filter(Frame::hasGoodbye).count();
            assertThat(goodbyes).isLessThanOrEqualTo(1);
            if (goodbyes == 1) {
                assertThat(agent.closedWith).isNotNull();
            }
        }
    }
}
