package dev.aranya.protocol;

import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Frame.BodyCase;
import java.util.EnumSet;
import java.util.Set;

/**
 * Where each frame body belongs: on the control stream or a stream, and in which direction
 * (docs/protocol.md, "Frame bodies"). Both ends run {@link #validate(Frame, Direction)} on every received frame
 * before acting on it.
 */
public final class Frames {

    private static final Set<BodyCase> CONTROL = EnumSet.of(BodyCase.HELLO, BodyCase.HELLO_ACK, BodyCase.GOODBYE,
            BodyCase.ERROR, BodyCase.PING, BodyCase.PONG, BodyCase.NODE_INFO, BodyCase.NODE_STATUS, BodyCase.PERIPHERALS,
            BodyCase.PERIPHERALS_STATUS, BodyCase.ENROL_REQUEST, BodyCase.ENROL_RESPONSE);

    private static final Set<BodyCase> OPENING = EnumSet.of(BodyCase.EXEC, BodyCase.ATTACH, BodyCase.LOGS,
            BodyCase.PORT_FORWARD);

    private static final Set<BodyCase> FROM_AGENT = EnumSet.of(BodyCase.HELLO, BodyCase.GOODBYE, BodyCase.ERROR,
            BodyCase.PING, BodyCase.PONG, BodyCase.NODE_INFO, BodyCase.NODE_STATUS, BodyCase.STREAM_ACCEPTED,
            BodyCase.DATA, BodyCase.WINDOW_UPDATE, BodyCase.HALF_CLOSE, BodyCase.STREAM_END,
            BodyCase.PERIPHERALS_STATUS, BodyCase.ENROL_REQUEST);

    private static final Set<BodyCase> FROM_ARANYA = EnumSet.of(BodyCase.HELLO_ACK, BodyCase.GOODBYE,
            BodyCase.ERROR, BodyCase.PING, BodyCase.PONG, BodyCase.EXEC, BodyCase.ATTACH, BodyCase.LOGS,
            BodyCase.PORT_FORWARD, BodyCase.DATA, BodyCase.WINDOW_UPDATE, BodyCase.HALF_CLOSE, BodyCase.RESIZE,
            BodyCase.CANCEL, BodyCase.PERIPHERALS, BodyCase.ENROL_RESPONSE);

    private static final Set<Channel> CHANNELS_FROM_AGENT = EnumSet.of(Channel.CHANNEL_STDOUT, Channel.CHANNEL_STDERR,
            Channel.CHANNEL_PORT_DATA);

    private static final Set<Channel> CHANNELS_FROM_ARANYA = EnumSet.of(Channel.CHANNEL_STDIN,
            Channel.CHANNEL_PORT_DATA);

    private Frames() {
    }

    /** Whether the body belongs on the control stream (stream id 0). */
    public static boolean isControl(BodyCase body) {
        return CONTROL.contains(body);
    }

    /** Whether the body opens a stream (Exec, Attach, Logs, PortForward). */
    public static boolean opensStream(BodyCase body) {
        return OPENING.contains(body);
    }

    /**
     * Checks the structure of a received frame: connection id set; sequence set (0 only on a Goodbye); the body
     * sent in this direction; control bodies on stream 0 and stream bodies on a non-zero, odd (Aranya-opened)
     * stream id; Data and HalfClose on a channel of this direction; WindowUpdate credit at least 1.
     *
     * <p>A frame without a known body ({@link BodyCase#BODY_NOT_SET}: a body added in a later version) passes;
     * the receiver then applies the rules for unknown bodies.
     * It does not check stream state (whether the stream is open) or the content of opening bodies.
     *
     * @throws ProtocolException {@code PROTOCOL_ERROR}, or {@code FLOW_CONTROL} for a zero credit
     */
    public static void validate(Frame frame, Direction direction) throws ProtocolException {
        if (frame.getConnectionId() == 0) {
            throw violation("frame without connection id");
        }
        BodyCase body = frame.getBodyCase();
        if (frame.getSequence() == 0 && body != BodyCase.GOODBYE) {
            throw violation("frame without sequence (" + body + ")");
        }
        if (body == BodyCase.BODY_NOT_SET) {
            return;
        }
        boolean fromAgent = direction == Direction.AGENT_TO_ARANYA;
        if (!(fromAgent ? FROM_AGENT : FROM_ARANYA).contains(body)) {
            throw violation(body + " is not sent by " + (fromAgent ? "the agent" : "Aranya"));
        }
        long streamId = frame.getStreamId();
        if (isControl(body)) {
            if (streamId != 0) {
                throw violation(body + " on stream " + Long.toUnsignedString(streamId) + " instead of stream 0");
            }
            return;
        }
        if (streamId == 0) {
            throw violation(body + " on the control stream");
        }
        if ((streamId & 1) == 0) {
            throw violation("stream id " + Long.toUnsignedString(streamId) + " is even: reserved for agent-opened streams");
        }
        Set<Channel> channels = fromAgent ? CHANNELS_FROM_AGENT : CHANNELS_FROM_ARANYA;
        switch (body) {
            case DATA -> {
                checkChannel(frame.getData().getChannel(), channels, body);
                if (frame.getData().getPayload().isEmpty()) {
                    throw violation("empty DATA on stream " + Long.toUnsignedString(streamId));
                }
            }
            case HALF_CLOSE -> checkChannel(frame.getHalfClose().getChannel(), channels, body);
            case WINDOW_UPDATE -> {
                if (frame.getWindowUpdate().getCredit() == 0) {
                    throw new ProtocolException(ErrorCode.ERROR_CODE_FLOW_CONTROL,
                            "WINDOW_UPDATE with zero credit on stream " + Long.toUnsignedString(streamId));
                }
            }
            default -> {
            }
        }
    }

    private static void checkChannel(Channel channel, Set<Channel> allowed, BodyCase body) throws ProtocolException {
        if (!allowed.contains(channel)) {
            throw violation(body + " on channel " + channel + " in this direction");
        }
    }

    private static ProtocolException violation(String message) {
        return new ProtocolException(ErrorCode.ERROR_CODE_PROTOCOL_ERROR, message);
    }
}
