package dev.aranya.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Data;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    private static final int LIMIT = ProtocolLimits.DEFAULT_MAX_FRAME_SIZE;

    @Test
    void samplesCoverEveryBody() {
        Set<Frame.BodyCase> covered = SampleFrames.all().stream().map(s -> s.frame().getBodyCase())
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Frame.BodyCase.class)));
        Set<Frame.BodyCase> expected = EnumSet.allOf(Frame.BodyCase.class);
        expected.remove(Frame.BodyCase.BODY_NOT_SET);
        assertThat(covered).isEqualTo(expected);
    }

    @Test
    void everyBodyRoundTripsThroughLengthPrefixedAndMessageEncodings() throws Exception {
        for (SampleFrames.Sample sample : SampleFrames.all()) {
            Frame frame = sample.frame();
            FrameDecoder decoder = new FrameDecoder(LIMIT);
            ByteBuffer in = ByteBuffer.wrap(FrameCodec.encode(frame, LIMIT));
            assertThat(decoder.decode(in)).as(frame.getBodyCase().toString()).isEqualTo(frame);
            assertThat(in.hasRemaining()).isFalse();
            assertThat(decoder.hasPartialFrame()).isFalse();

            assertThat(FrameCodec.decodeMessage(FrameCodec.encodeMessage(frame, LIMIT), LIMIT)).isEqualTo(frame);
        }
    }

    @Test
    void lengthPrefixIsFourBytesBigEndianFollowedByTheFrame() throws Exception {
        Frame frame = SampleFrames.data(1, 7, Channel.CHANNEL_STDOUT, "x".repeat(300));
        byte[] body = frame.toByteArray();
        byte[] wire = FrameCodec.encode(frame, LIMIT);

        assertThat(wire).hasSize(4 + body.length);
        assertThat(ByteBuffer.wrap(wire).getInt()).isEqualTo(body.length);
        assertThat(Arrays.copyOfRange(wire, 4, wire.length)).isEqualTo(body);
        assertThat(FrameCodec.encodeMessage(frame, LIMIT)).isEqualTo(body);
    }

    @Test
    void encodingEnforcesThePeersLimitToTheByte() throws Exception {
        int limit = ProtocolLimits.MIN_FRAME_SIZE_LIMIT;
        Frame exact = frameOfSize(limit);
        assertThat(exact.getSerializedSize()).isEqualTo(limit);
        assertThat(FrameCodec.encode(exact, limit)).hasSize(limit + 4);
        assertThat(FrameCodec.encodeMessage(exact, limit)).hasSize(limit);

        Frame over = frameOfSize(limit + 1);
        assertThatThrownBy(() -> FrameCodec.encode(over, limit))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE));
        assertThatThrownBy(() -> FrameCodec.encodeMessage(over, limit))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE));
    }

    @Test
    void decodeMessageEnforcesOurLimitAndRejectsGarbage() throws Exception {
        int limit = ProtocolLimits.MIN_FRAME_SIZE_LIMIT;
        assertThat(FrameCodec.decodeMessage(frameOfSize(limit).toByteArray(), limit).getSerializedSize()).isEqualTo(limit);
        assertThatThrownBy(() -> FrameCodec.decodeMessage(frameOfSize(limit + 1).toByteArray(), limit))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE));
        // field 1 as a varint that never ends
        byte[] garbage = {0x08, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        assertThatThrownBy(() -> FrameCodec.decodeMessage(garbage, limit))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_PROTOCOL_ERROR));
    }

    @Test
    void largestDataPayloadFitsWithTheLargestHeader() throws Exception {
        for (int limit : new int[] {ProtocolLimits.MIN_FRAME_SIZE_LIMIT, ProtocolLimits.DEFAULT_MAX_FRAME_SIZE,
                ProtocolLimits.MAX_FRAME_SIZE_LIMIT}) {
            Frame frame = Frame.newBuilder().setConnectionId(-1L).setStreamId(-1L).setSequence(-1L)
                    .setData(Data.newBuilder().setChannel(Channel.CHANNEL_PORT_DATA)
                            .setPayload(ByteString.copyFrom(new byte[ProtocolLimits.maxDataPayload(limit)])))
                    .build();
            assertThat(frame.getSerializedSize()).as("limit %d", limit).isLessThanOrEqualTo(limit);
            assertThat(FrameCodec.encode(frame, limit)).hasSize(frame.getSerializedSize() + 4);
        }
    }

    @Test
    void limitsOutsideTheProtocolRangeAreRejectedAsConfigurationErrors() {
        Frame frame = SampleFrames.all().get(0).frame();
        assertThatThrownBy(() -> FrameCodec.encode(frame, ProtocolLimits.MIN_FRAME_SIZE_LIMIT - 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FrameDecoder(ProtocolLimits.MAX_FRAME_SIZE_LIMIT + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FrameCodec.decodeMessage(new byte[0], 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A Data frame whose encoding is exactly {@code size} bytes. */
    static Frame frameOfSize(int size) {
        int payload = size - 40;
        for (int attempt = 0; attempt < 8; attempt++) {
            Frame frame = SampleFrames.frame(1, 1).setData(Data.newBuilder().setChannel(Channel.CHANNEL_STDOUT)
                    .setPayload(ByteString.copyFrom(new byte[payload]))).build();
            int difference = size - frame.getSerializedSize();
            if (difference == 0) {
                return frame;
            }
            payload += difference;
        }
        throw new AssertionError("no Data frame of exactly " + size + " bytes");
    }
}
