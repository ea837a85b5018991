package dev.aranya.session.internal;

import com.google.protobuf.Duration;
import dev.aranya.api.session.DeviceSession;
import dev.aranya.api.session.DeviceStream;
import dev.aranya.api.session.StreamListener;
import dev.aranya.api.transport.DeviceConnection;
import dev.aranya.api.transport.DeviceId;
import dev.aranya.protocol.Capabilities;
import dev.aranya.protocol.Direction;
import dev.aranya.protocol.Frames;
import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.ProtocolLimits;
import dev.aranya.protocol.ProtocolVersion;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.ErrorInfo;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.Hello;
import dev.aranya.protocol.v1.HelloAck;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import dev.aranya.protocol.v1.Peripherals;
import dev.aranya.protocol.v1.PeripheralsStatus;
import dev.aranya.protocol.v1.StreamEnd;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Aranya's side of one agent connection: the hello, node info and status, and the streams Aranya opens. */
final class CloudSession extends ProtocolConnection<CloudStream> implements DeviceSession {
    private static final Logger LOG = LoggerFactory.getLogger(CloudSession.class);

    private final SessionRegistry registry;
    private final SessionSettings settings;
    private final DeviceId device;
    private final Instant connectedAt = Instant.now();
    private Hello hello;
    private Set<String> capabilities = Set.of();
    private int maxStreams;
    private volatile NodeInfo nodeInfo;
    private volatile NodeStatus lastStatus;
    private Peripherals peripheralsSent;
    private volatile PeripheralsStatus peripheralsStatus;

    CloudSession(DeviceConnection connection, SessionRegistry registry, SessionSettings settings,
                 ScheduledExecutorService scheduler) {
        super(Direction.AGENT_TO_ARANYA, scheduler, 0);
        this.registry = registry;
        this.settings = settings;
        this.device = connection.device();
        this.receiveInitialWindow = settings.streamWindow();
        attach(connection);
        // the agent must say Hello within the time a silent peer is declared dead
        locked(() -> startLiveness(settings.heartbeatInterval(), settings.heartbeatMissLimit()));
    }

    SessionSettings settings() {
        return settings;
    }

    @Override
    protected DeviceId logDevice() {
        return device;
    }

    @Override
    protected String describe() {
        return "device " + device + " (" + transport().method() + " " + transport().peer() + ")";
    }

    @Override
    protected boolean handshakeDone() {
        return hello != null;
    }

    @Override
    protected void afterUnlock() {
        registry.notifications().drain();
    }

    // ---- the hello

    @Override
    protected void handshake(Frame frame) throws ProtocolException {
        if (frame.getBodyCase() != Frame.BodyCase.HELLO) {
            throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                    "the first frame must be a Hello, was " + frame.getBodyCase());
        }
        Hello offered = frame.getHello();
        if (frame.getSerializedSize() > ProtocolLimits.MIN_FRAME_SIZE_LIMIT) {
            refuse(ErrorCode.ERROR_CODE_BAD_REQUEST, "the Hello has " + frame.getSerializedSize()
                    + " bytes, more than the " + ProtocolLimits.MIN_FRAME_SIZE_LIMIT + " a Hello may have");
            return;
        }
        DeviceId claimed = new DeviceId(offered.getDeviceNamespace(), offered.getDeviceName());
        if (!claimed.equals(device)) {
            refuse(ErrorCode.ERROR_CODE_UNAUTHENTICATED, "the Hello names device " + claimed
                    + " but the connection is authenticated as " + device);
            return;
        }
        OptionalInt version = ProtocolVersion.negotiate(offered);
        if (version.isEmpty()) {
            refuse(ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION, "the agent speaks protocol versions "
                    + offered.getMinProtocolVersion() + ".." + offered.getProtocolVersion() + ", Aranya speaks "
                    + ProtocolVersion.MIN_SUPPORTED + ".." + ProtocolVersion.CURRENT);
            return;
        }
        try {
            peerMaxFrameSize = ProtocolLimits.resolveMaxFrameSize(offered.getMaxFrameSize());
            sendInitialWindow = ProtocolLimits.resolveInitialWindow(offered.getInitialStreamWindow());
        } catch (ProtocolException e) {
            refuse(ErrorCode.ERROR_CODE_BAD_REQUEST, e.getMessage());
            return;
        }
        int agentStreams = offered.getMaxConcurrentStreams() == 0
                ? ProtocolLimits.DEFAULT_MAX_CONCURRENT_STREAMS : offered.getMaxConcurrentStreams();
        maxStreams = Math.min(settings.maxStreams(), agentStreams < 0 ? Integer.MAX_VALUE : agentStreams);
        Optional<CloudSession> replaced;
        try {
            replaced = registry.takeOver(this);
        } catch (IllegalStateException stopping) {
            refuse(ErrorCode.ERROR_CODE_UNAVAILABLE, stopping.getMessage());
            return;
        }
        hello = offered;
        capabilities = Set.copyOf(offered.getCapabilitiesList());
        int maxFrameSize = Math.min(settings.maxFrameSize(), transport().maxInboundFrameSize());
        send(Frame.newBuilder().setHelloAck(HelloAck.newBuilder()
                .setProtocolVersion(version.getAsInt())
                .setHeartbeatInterval(duration(settings.heartbeatInterval()))
                .setHeartbeatMissLimit(settings.heartbeatMissLimit())
                .setStatusInterval(duration(settings.statusInterval()))
                .setMaxFrameSize(maxFrameSize)
                .setInitialStreamWindow(settings.streamWindow())
                .setAranyaVersion(settings.aranyaVersion())));
        startHeartbeats(settings.heartbeatInterval(), settings.heartbeatMissLimit());
        LOG.info("{}: hello accepted (agent {}, protocol {}, capabilities {})", describe(),
                offered.getAgentVersion(), version.getAsInt(), capabilities);
        replaced.ifPresent(older -> older.close(GoodbyeReason.GOODBYE_REASON_REPLACED,
                "a newer connection of the device replaced this one"));
    }

    private void refuse(ErrorCode code, String message) {
        LOG.warn("{}: hello refused ({}): {}", describe(), code.name(), message);
        send(Frame.newBuilder().setError(ErrorInfo.newBuilder().setCode(code).setMessage(message).setRefSequence(1)));
        terminate("hello refused: " + message, null);
    }

    private static Duration duration(java.time.Duration value) {
        return Duration.newBuilder().setSeconds(value.getSeconds()).setNanos(value.getNano()).build();
    }

    // ---- after the hello

    @Override
    protected void onRoleFrame(Frame frame) throws ProtocolException {
        switch (frame.getBodyCase()) {
            case NODE_INFO -> {
                boolean first = nodeInfo == null;
                nodeInfo = frame.getNodeInfo();
                if (first) {
                    registry.online(this);
                }
            }
            case NODE_STATUS -> {
                lastStatus = frame.getNodeStatus();
                if (nodeInfo != null) {
                    registry.statusReported(this, lastStatus);
                }
            }
            case PERIPHERALS_STATUS -> {
                peripheralsStatus = frame.getPeripheralsStatus();
                registry.peripheralsReported(this, peripheralsStatus);
            }
            case STREAM_ACCEPTED -> {
                CloudStream stream = existingStream(frame);
                if (stream != null) {
                    stream.onAccepted();
                }
            }
            case STREAM_END -> {
                CloudStream stream = existingStream(frame);
                if (stream != null) {
                    stream.finish(frame.getStreamEnd());
                }
            }
            case BODY_NOT_SET -> existingStream(frame); // a later version's stream body: ignored
            default -> throw new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR,
                    "unexpected " + frame.getBodyCase() + " after the hello");
        }
    }

    @Override
    protected void onTerminated(String reason) {
        registry.ended(this, reason);
    }

    // ---- DeviceSession

    @Override
    public DeviceStream open(Frame opening, StreamListener listener) {
        if (!Frames.opensStream(opening.getBodyCase())) {
            throw new IllegalArgumentException(opening.getBodyCase() + " does not open a stream");
        }
        return locked(() -> {
            ErrorInfo refusal = null;
            String kind = Capabilities.requiredToOpen(opening.getBodyCase()).orElseThrow();
            if (isClosed() || hello == null) {
                refusal = CloudStream.error(ErrorCode.ERROR_CODE_UNAVAILABLE, "the device's session has ended");
            } else if (!capabilities.contains(kind)) {
                refusal = CloudStream.error(ErrorCode.ERROR_CODE_UNSUPPORTED,
                        "the agent of device " + device + " does not support " + kind);
            } else if (streams.size() >= maxStreams) {
                refusal = CloudStream.error(ErrorCode.ERROR_CODE_RESOURCE_EXHAUSTED, "device " + device + " already has "
                        + streams.size() + " open streams, the limit");
            }
            if (refusal != null) {
                CloudStream refused = new CloudStream(this, 0, opening, listener);
                refused.finish(StreamEnd.newBuilder().setError(refusal).build());
                return refused;
            }
            long id = highestStreamId() == 0 ? 1 : highestStreamId() + 2;
            streamOpened(id);
            CloudStream stream = new CloudStream(this, id, opening, listener);
            streams.put(id, stream);
            send(opening.toBuilder().setStreamId(id));
            stream.awaitAnswer(settings.streamOpenTimeout());
            return stream;
        });
    }

    @Override
    public void updatePeripherals(Peripherals peripherals) {
        locked(() -> {
            if (isClosed() || hello == null || !capabilities.contains(Capabilities.PERIPHERALS)
                    || peripherals.equals(peripheralsSent)) {
                return;
            }
            peripheralsSent = peripherals;
            LOG.info("{}: sending {} peripherals", describe(), peripherals.getPeripheralsCount());
            send(Frame.newBuilder().setPeripherals(peripherals));
        });
    }

    @Override
    public Optional<PeripheralsStatus> peripheralsStatus() {
        return Optional.ofNullable(peripheralsStatus);
    }

    @Override
    public void close(String reason) {
        close(GoodbyeReason.GOODBYE_REASON_SHUTDOWN, reason);
    }

    @Override
    public DeviceId device() {
        return device;
    }

    @Override
    public String method() {
        return transport().method();
    }

    @Override
    public String peer() {
        return transport().peer();
    }

    @Override
    public String agentVersion() {
        return locked(() -> hello == null ? "" : hello.getAgentVersion());
    }

    @Override
    public Set<String> capabilities() {
        return locked(() -> capabilities);
    }

    @Override
    public Instant connectedAt() {
        return connectedAt;
    }

    @Override
    public NodeInfo nodeInfo() {
        return nodeInfo;
    }

    @Override
    public Optional<NodeStatus> lastStatus() {
        return Optional.ofNullable(lastStatus);
    }

    @Override
    public int openStreams() {
        return locked(() -> streams.size());
    }

    @Override
    public String toString() {
        return "session of " + device + " over " + transport().method();
    }
}
