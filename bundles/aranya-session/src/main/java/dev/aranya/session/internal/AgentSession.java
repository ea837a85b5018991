package dev.aranya.session.internal;

import dev.aranya.api.agent.HostStreams;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.Direction;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.ProtocolVersion;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Goodbye;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.Hello;
import dev.aranya.protocol.v1.HelloAck;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.Peripherals;
import dev.aranya.protocol.v1.PeripheralsStatus;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.session.agent.AgentConnection;
import dev.aranya.session.agent.AgentSettings;
import dev.aranya.session.agent.Disconnect;
import dev.aranya.session.agent.HelloRefusedException;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The agent's side of one connection: Hello, node info and status, and the streams Aranya opens. */
public final class AgentSession extends ProtocolConnection<AgentStreamImpl> implements AgentConnection {
    /** How long after the hello timeout the backstop gives up waiting for the HelloAck. */
    private static final long HELLO_BACKSTOP_SLACK_MILLIS = 5000;
    private static final Logger LOG = LoggerFactory.getLogger(AgentSession.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final AgentSettings settings;
    private final HostStreams host;
    private final Supplier<NodeStatus> status;
    private final BiConsumer<Peripherals, AgentConnection> peripherals;
    private final CompletableFuture<Void> established = new CompletableFuture<>();
    private final CompletableFuture<Disconnect> disconnected = new CompletableFuture<>();
    private NodeInfo nodeInfo;
    private boolean acknowledged;
    private IOException refusal;
    private Goodbye goodbye;
    private ScheduledFuture<?> statusReports;

    public AgentSession(AgentSettings settings, HostStreams host, NodeInfo nodeInfo, Supplier<NodeStatus> status,
                        BiConsumer<Peripherals, AgentConnection> peripherals, ScheduledExecutorService scheduler) {
        super(Direction.ARANYA_TO_AGENT, scheduler, newConnectionId());
        this.settings = settings;
        this.host = host;
        this.nodeInfo = nodeInfo;
        this.status = status;
        this.peripherals = peripherals;
        this.receiveInitialWindow = settings.streamWindow();
    }

    private static long newConnectionId() {
        long id;
        do {
            id = RANDOM.nextLong();
        } while (id == 0);
        return id;
    }

    /** Sends the Hello on the link's new connection. */
    public void start(DeviceConnection connection) {
        attach(connection);
        locked(() -> {
            int maxFrameSize = Math.min(settings.maxFrameSize(), connection.maxInboundFrameSize());
            send(Frame.newBuilder().setHello(Hello.newBuilder()
                    .setDeviceNamespace(settings.device().namespace())
                    .setDeviceName(settings.device().name())
                    .setAgentVersion(settings.agentVersion())
                    .setProtocolVersion(ProtocolVersion.CURRENT)
                    .setMinProtocolVersion(ProtocolVersion.MIN_SUPPORTED)
                    .addAllCapabilities(settings.capabilities())
                    .setMaxFrameSize(maxFrameSize)
                    .setInitialStreamWindow(settings.streamWindow())
                    .setMaxConcurrentStreams(settings.maxStreams())));
            startLiveness(settings.helloTimeout(), 1);
        });
    }

    /** Waits for the HelloAck. */
    public void awaitEstablished() throws IOException, InterruptedException {
        try {
            // the liveness check ends a connection without an answer after the hello timeout; this is a backstop,
            // late enough that a busy scheduler does not make it overtake that check
            established.get(settings.helloTimeout().toMillis() + HELLO_BACKSTOP_SLACK_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            close(GoodbyeReason.GOODBYE_REASON_SHUTDOWN, "no HelloAck");
            throw new IOException("the connection ended before the hello completed: Aranya did not answer the hello within "
                    + settings.helloTimeout().toMillis() + " ms");
        } catch (InterruptedException e) {
            close(GoodbyeReason.GOODBYE_REASON_SHUTDOWN, "the agent is stopping");
            throw e;
        }
    }

    @Override
    protected String describe() {
        return "connection " + Long.toHexString(connectionId()) + " of " + settings.device()
                + (transport() == null ? "" : " to " + transport().peer());
    }

    @Override
    protected boolean handshakeDone() {
        return acknowledged;
    }

    @Override
    protected void handshake(Frame frame) throws ProtocolException {
        switch (frame.getBodyCase()) {
            case HELLO_ACK -> acknowledge(frame.getHelloAck());
            case ERROR -> {
                ErrorInfo error = frame.getError();
                refusal = new HelloRefusedException(error.getCode(), error.getMessage());
                LOG.warn("{}: {}", describe(), refusal.getMessage());
                terminate(refusal.getMessage(), null);
            }
            case GOODBYE -> {
                goodbye = frame.getGoodbye();
                terminate("Aranya said goodbye before the hello completed (" + goodbye.getReason().name() + "): "
                        + goodbye.getMessage(), null);
            }
            default -> throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                    "expected the HelloAck, got " + frame.getBodyCase());
        }
    }

    private void acknowledge(HelloAck ack) throws ProtocolException {
        if (!ProtocolVersion.isSupported(ack.getProtocolVersion())) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION, "Aranya chose protocol version "
                    + ack.getProtocolVersion() + ", outside " + ProtocolVersion.MIN_SUPPORTED + ".." + ProtocolVersion.CURRENT);
        }
        peerMaxFrameSize = ProtocolLimits.resolveMaxFrameSize(ack.getMaxFrameSize());
        sendInitialWindow = ProtocolLimits.resolveInitialWindow(ack.getInitialStreamWindow());
        Duration heartbeat = orDefault(ack.hasHeartbeatInterval() ? ack.getHeartbeatInterval() : null,
                ProtocolLimits.DEFAULT_HEARTBEAT_INTERVAL);
        int missLimit = ack.getHeartbeatMissLimit() == 0 ? ProtocolLimits.DEFAULT_HEARTBEAT_MISS_LIMIT : ack.getHeartbeatMissLimit();
        Duration statusInterval = orDefault(ack.hasStatusInterval() ? ack.getStatusInterval() : null,
                ProtocolLimits.DEFAULT_STATUS_INTERVAL);
        acknowledged = true;
        send(Frame.newBuilder().setNodeInfo(nodeInfo));
        startHeartbeats(heartbeat, missLimit);
        statusReports = scheduler.scheduleWithFixedDelay(this::reportStatus, 0, statusInterval.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("{}: connected (Aranya {}, heartbeat {} ms x {}, status every {} s)", describe(), ack.getAranyaVersion(),
                heartbeat.toMillis(), missLimit, statusInterval.toSeconds());
        callbacks.add(() -> established.complete(null));
    }

    private static Duration orDefault(com.google.protobuf.Duration value, Duration fallback) {
        if (value == null || (value.getSeconds() <= 0 && value.getNanos() <= 0)) {
            return fallback;
        }
        return Duration.ofSeconds(value.getSeconds(), value.getNanos());
    }

    private void reportStatus() {
        NodeStatus current;
        try {
            current = status.get();
        } catch (RuntimeException e) {
            LOG.warn("{}: could not read the node status", describe(), e);
            return;
        }
        locked(() -> send(Frame.newBuilder().setNodeStatus(current)));
    }

    @Override
    protected void onRoleFrame(Frame frame) throws ProtocolException {
        switch (frame.getBodyCase()) {
            case EXEC, ATTACH, LOGS, PORT_FORWARD -> open(frame);
            case PERIPHERALS -> {
                if (!settings.capabilities().contains(Capabilities.PERIPHERALS)) {
                    throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                            "Aranya sent peripherals, but this agent did not announce the capability");
                }
                Peripherals received = frame.getPeripherals();
                callbacks.add(() -> peripherals.accept(received, this));
            }
            case CANCEL -> {
                AgentStreamImpl stream = existingStream(frame);
                if (stream != null) {
                    stream.onCancel(frame.getCancel());
                }
            }
            case RESIZE -> {
                AgentStreamImpl stream = existingStream(frame);
                if (stream != null) {
                    stream.onResize(frame.getResize());
                }
            }
            case BODY_NOT_SET -> {
                // a later version's body: on a new stream id it is an opening this agent does not know
                if (Long.compareUnsigned(frame.getStreamId(), highestStreamId()) > 0) {
                    streamOpened(frame.getStreamId());
                    refuse(frame.getStreamId(), ErrorCode.ERROR_CODE_UNSUPPORTED, "unknown stream kind");
                }
            }
            default -> throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                    "unexpected " + frame.getBodyCase() + " after the hello");
        }
    }

    private void open(Frame opening) throws ProtocolException {
        long id = opening.getStreamId();
        if (Long.compareUnsigned(id, highestStreamId()) <= 0) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR, opening.getBodyCase() + " on stream "
                    + Long.toUnsignedString(id) + ", not above the last opened stream " + Long.toUnsignedString(highestStreamId()));
        }
        streamOpened(id);
        String kind = Capabilities.requiredToOpen(opening.getBodyCase()).orElseThrow();
        if (!settings.capabilities().contains(kind)) {
            refuse(id, ErrorCode.ERROR_CODE_UNSUPPORTED, "this agent does not serve " + kind);
            return;
        }
        if (streams.size() >= settings.maxStreams()) {
            refuse(id, ErrorCode.ERROR_CODE_RESOURCE_EXHAUSTED, "already " + streams.size() + " streams open, the limit");
            return;
        }
        AgentStreamImpl stream = new AgentStreamImpl(this, id, opening);
        streams.put(id, stream);
        callbacks.add(() -> stream.start(host, opening));
    }

    private void refuse(long streamId, ErrorCode code, String message) {
        LOG.info("{}: refused stream {}: {}", describe(), Long.toUnsignedString(streamId), message);
        send(Frame.newBuilder().setStreamId(streamId).setStreamEnd(StreamEnd.newBuilder()
                .setError(ErrorInfo.newBuilder().setCode(code).setMessage(message))));
    }

    @Override
    protected void onGoodbye(Goodbye received) {
        goodbye = received;
    }

    @Override
    protected void onTerminated(String reason) {
        if (statusReports != null) {
            statusReports.cancel(false);
        }
        Disconnect end = new Disconnect(reason,
                goodbye == null ? GoodbyeReason.GOODBYE_REASON_UNSPECIFIED : goodbye.getReason(),
                goodbye == null || !goodbye.hasReconnectDelay() ? Duration.ZERO
                        : Duration.ofSeconds(goodbye.getReconnectDelay().getSeconds(), goodbye.getReconnectDelay().getNanos()));
        IOException failure = refusal != null ? refusal : new IOException("the connection ended before the hello completed: " + reason);
        callbacks.add(() -> {
            established.completeExceptionally(failure);
            disconnected.complete(end);
        });
    }

    // ---- AgentConnection

    @Override
    public CompletionStage<Disconnect> disconnected() {
        return disconnected.minimalCompletionStage();
    }

    @Override
    public void updateNodeInfo(NodeInfo info) {
        locked(() -> {
            nodeInfo = info;
            if (acknowledged) {
                send(Frame.newBuilder().setNodeInfo(info));
            }
        });
    }

    @Override
    public void updatePeripheralsStatus(PeripheralsStatus peripheralsStatus) {
        locked(() -> {
            if (acknowledged && !isClosed()) {
                send(Frame.newBuilder().setPeripheralsStatus(peripheralsStatus));
            }
        });
    }

    @Override
    public void close(String reason) {
        close(GoodbyeReason.GOODBYE_REASON_SHUTDOWN, reason);
    }

    /** Whether the opening asks for a terminal (resize applies). */
    static boolean tty(Frame opening) {
        return switch (opening.getBodyCase()) {
            case EXEC -> opening.getExec().getTty();
            case ATTACH -> opening.getAttach().getTty();
            default -> false;
        };
    }
}
