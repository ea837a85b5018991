package dev.aranya.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Data;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Goodbye;
import dev.aranya.protocol.v1.HalfClose;
import dev.aranya.protocol.v1.Ping;
import dev.aranya.protocol.v1.WindowUpdate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class FramesTest {

    private static final Direction UP = Direction.AGENT_TO_ARANYA;
    private static final Direction DOWN = Direction.ARANYA_TO_AGENT;

    @Test
    void everySampleIsValidInItsDirection() throws Exception {
        for (SampleFrames.Sample sample : SampleFrames.all()) {
            Frames.validate(sample.frame(), sample.direction());
        }
    }

    @Test
    void bodiesOfOneDirectionAreRefusedInTheOther() {
        for (SampleFrames.Sample sample : SampleFrames.all()) {
            Frame.BodyCase body = sample.frame().getBodyCase();
            boolean bothWays = switch (body) {
                case PING, PONG, GOODBYE, ERROR, WINDOW_UPDATE, DATA, HALF_CLOSE -> true;
                default -> false;
            };
            if (!bothWays) {
                Direction other = sample.direction() == UP ? DOWN : UP;
                assertViolation(() -> Frames.validate(sample.frame(), other), ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
            }
        }
    }

    @Test
    void controlBodiesOnlyOnStreamZeroAndStreamBodiesOnlyOnOddStreams() {
        Frame pingOnStream = SampleFrames.frame(1, 1).setPing(Ping.getDefaultInstance()).build();
        assertViolation(() -> Frames.validate(pingOnStream, UP), ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        Frame dataOnControl = SampleFrames.data(0, 1, Channel.CHANNEL_STDOUT, "x");
        assertViolation(() -> Frames.validate(dataOnControl, UP), ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        Frame dataOnEven = SampleFrames.data(2, 1, Channel.CHANNEL_STDOUT, "x");
        assertViolation(() -> Frames.validate(dataOnEven, UP), ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        Frame dataOnLargestOdd = SampleFrames.data(-1L, 1, Channel.CHANNEL_STDOUT, "x");
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> Frames.validate(dataOnLargestOdd, UP));
    }

    @Test
    void connectionIdAndSequenceAreRequiredExceptSequenceOnGoodbye() throws Exception {
        Frame noConnection = SampleFrames.frame(0, 1).setConnectionId(0).setPing(Ping.getDefaultInstance()).build();
        assertViolation(() -> Frames.validate(noConnection, UP), ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        Frame noSequence = SampleFrames.frame(0, 0).setPing(Ping.getDefaultInstance()).build();
        assertViolation(() -> Frames.validate(noSequence, UP), ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        Frames.validate(SampleFrames.frame(0, 0).setGoodbye(Goodbye.getDefaultInstance()).build(), DOWN);
    }

    @Test
    void dataAndHalfCloseMustUseAChannelOfTheirDirection() throws Exception {
        assertViolation(() -> Frames.validate(SampleFrames.data(1, 1, Channel.CHANNEL_STDIN, "x"), UP),
                ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        assertViolation(() -> Frames.validate(SampleFrames.data(1, 1, Channel.CHANNEL_STDOUT, "x"), DOWN),
                ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        assertViolation(() -> Frames.validate(SampleFrames.data(1, 1, Channel.CHANNEL_UNSPECIFIED, "x"), DOWN),
                ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        Frame unknownChannel = SampleFrames.frame(1, 1).setData(Data.newBuilder().setChannelValue(99)
                .setPayload(ByteString.copyFromUtf8("x"))).build();
        assertViolation(() -> Frames.validate(unknownChannel, UP), ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        assertViolation(() -> Frames.validate(SampleFrames.data(1, 1, Channel.CHANNEL_STDOUT, ""), UP),
                ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
        Frames.validate(SampleFrames.data(1, 1, Channel.CHANNEL_PORT_DATA, "x"), UP);
        Frames.validate(SampleFrames.data(1, 1, Channel.CHANNEL_PORT_DATA, "x"), DOWN);

        Frame closeStdout = SampleFrames.frame(1, 1).setHalfClose(HalfClose.newBuilder()
                .setChannel(Channel.CHANNEL_STDOUT)).build();
        Frames.validate(closeStdout, UP);
        assertViolation(() -> Frames.validate(closeStdout, DOWN), ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
    }

    @Test
    void zeroCreditIsAFlowControlError() {
        Frame zero = SampleFrames.frame(1, 1).setWindowUpdate(WindowUpdate.getDefaultInstance()).build();
        assertViolation(() -> Frames.validate(zero, UP), ErrorCode.ERROR_CODE_FLOW_CONTROL);
    }

    @Test
    void aBodyFromALaterVersionPassesForTheUnknownBodyRules() throws Exception {
        // field 15 (free in v1) as if a newer peer sent a body this version does not know
        Frame newer = SampleFrames.frame(1, 1).build().toBuilder()
                .mergeFrom(new byte[] {0x7A, 0x00}).build();
        assertThat(newer.getBodyCase()).isEqualTo(Frame.BodyCase.BODY_NOT_SET);
        assertThat(newer.getUnknownFields().hasField(15)).isTrue();
        Frames.validate(newer, UP);
        Frames.validate(newer, DOWN);
    }

    @Test
    void classificationOfBodies() {
        assertThat(Frames.isControl(Frame.BodyCase.HELLO)).isTrue();
        assertThat(Frames.isControl(Frame.BodyCase.DATA)).isFalse();
        assertThat(Frames.opensStream(Frame.BodyCase.PORT_FORWARD)).isTrue();
        assertThat(Frames.opensStream(Frame.BodyCase.DATA)).isFalse();
        for (Frame.BodyCase body : Frame.BodyCase.values()) {
            assertThat(Capabilities.requiredToOpen(body).isPresent()).as(body.toString())
                    .isEqualTo(Frames.opensStream(body));
            if (Frames.opensStream(body)) {
                assertThat(Frames.isControl(body)).isFalse();
            }
        }
    }

    private static void assertViolation(Executable call, ErrorCode code) {
        assertThatThrownBy(call::execute).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(code));
    }
}
