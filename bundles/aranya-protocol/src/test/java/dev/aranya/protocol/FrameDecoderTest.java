package dev.aranya.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Data;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {

    private static final int LIMIT = ProtocolLimits.DEFAULT_MAX_FRAME_SIZE;

    @Test
    void mergedFramesInOneBufferComeOutInOrderAndConsumeExactlyTheirBytes() throws Exception {
        List<Frame> frames = sampleFrames();
        byte[] wire = concat(frames);
        ByteBuffer in = ByteBuffer.wrap(wire);
        FrameDecoder decoder = new FrameDecoder(LIMIT);

        int expectedPosition = 0;
        for (Frame frame : frames) {
            assertThat(decoder.decode(in)).isEqualTo(frame);
            expectedPosition += 4 + frame.getSerializedSize();
            assertThat(in.position()).isEqualTo(expectedPosition);
        }
        assertThat(decoder.decode(in)).isNull();
        assertThat(decoder.hasPartialFrame()).isFalse();
        decoder.endOfInput();
    }

    @Test
    void byteByByteInputYieldsEachFrameOnlyWhenItsLastByteArrives() throws Exception {
        List<Frame> frames = sampleFrames();
        byte[] wire = concat(frames);
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        List<Frame> decoded = new ArrayList<>();
        int nextEnd = 4 + frames.get(0).getSerializedSize();
        for (int i = 0; i < wire.length; i++) {
            ByteBuffer in = ByteBuffer.wrap(wire, i, 1);
            Frame frame = decoder.decode(in);
            assertThat(in.hasRemaining()).isFalse();
            if (i + 1 == nextEnd) {
                assertThat(frame).isEqualTo(frames.get(decoded.size()));
                decoded.add(frame);
                if (decoded.size() < frames.size()) {
                    nextEnd += 4 + frames.get(decoded.size()).getSerializedSize();
                }
            } else {
                assertThat(frame).as("byte %d", i).isNull();
            }
        }
        assertThat(decoded).isEqualTo(frames);
    }

    @Test
    void randomSplitsOfManyFramesDecodeToTheSameFrames() throws Exception {
        Random random = new Random(7);
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] payload = new byte[1 + random.nextInt(random.nextBoolean() ? 100 : 40_000)];
            random.nextBytes(payload);
            frames.add(SampleFrames.frame(1, i + 1).setData(Data.newBuilder().setChannel(Channel.CHANNEL_STDOUT)
                    .setPayload(ByteString.copyFrom(payload))).build());
        }
        byte[] wire = concat(frames);
        for (int round = 0; round < 20; round++) {
            FrameDecoder decoder = new FrameDecoder(LIMIT);
            List<Frame> decoded = new ArrayList<>();
            int offset = 0;
            while (offset < wire.length) {
                int chunk = Math.min(wire.length - offset, 1 + random.nextInt(70_000));
                ByteBuffer in = ByteBuffer.wrap(wire, offset, chunk);
                Frame frame;
                while ((frame = decoder.decode(in)) != null) {
                    decoded.add(frame);
                }
                assertThat(decoder.bufferCapacity()).isLessThanOrEqualTo(LIMIT);
                offset += chunk;
            }
            decoder.endOfInput();
            assertThat(decoded).isEqualTo(frames);
        }
    }

    @Test
    void truncatedInputWaitsForTheRestAndIsAnErrorOnlyAtEndOfInput() throws Exception {
        Frame frame = SampleFrames.all().get(2).frame();
        byte[] wire = FrameCodec.encode(frame, LIMIT);

        FrameDecoder decoder = new FrameDecoder(LIMIT);
        assertThat(decoder.decode(ByteBuffer.wrap(wire, 0, wire.length - 1))).isNull();
        assertThat(decoder.hasPartialFrame()).isTrue();
        assertThat(decoder.decode(ByteBuffer.allocate(0))).isNull();
        assertThat(decoder.decode(ByteBuffer.wrap(wire, wire.length - 1, 1))).isEqualTo(frame);
        decoder.endOfInput();

        FrameDecoder cut = new FrameDecoder(LIMIT);
        assertThat(cut.decode(ByteBuffer.wrap(wire, 0, wire.length - 1))).isNull();
        assertThatThrownBy(cut::endOfInput).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_PROTOCOL_ERROR));

        FrameDecoder cutInLength = new FrameDecoder(LIMIT);
        assertThat(cutInLength.decode(ByteBuffer.wrap(wire, 0, 2))).isNull();
        assertThat(cutInLength.bufferCapacity()).isZero();
        assertThatThrownBy(cutInLength::endOfInput).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("2 of 4 length bytes");
    }

    @Test
    void oversizedLengthIsRejectedFromTheLengthAloneWithoutAllocating() throws Exception {
        Allocation.assumeMeasurable();
        try { // warm up: class loading and string concatenation linkage allocate on first use
            new FrameDecoder(LIMIT).decode(ByteBuffer.wrap(new byte[] {1, 0, 0, 0}));
        } catch (ProtocolException expected) {
            // too large
        }
        for (int declared : new int[] {LIMIT + 1, Integer.MAX_VALUE, -1 /* 4 GiB - 1 */}) {
            FrameDecoder decoder = new FrameDecoder(LIMIT);
            byte[] header = ByteBuffer.allocate(4).putInt(declared).array();
            long before = Allocation.allocatedByThisThread();
            ProtocolException thrown = null;
            try {
                // only the 4 length bytes: the decoder must not wait for (or allocate) the body
                decoder.decode(ByteBuffer.wrap(header));
            } catch (ProtocolException e) {
                thrown = e;
            }
            long allocated = Allocation.allocatedByThisThread() - before;
            assertThat(thrown).as("declared %s", Integer.toUnsignedString(declared)).isNotNull();
            assertThat(thrown.code()).isEqualTo(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE);
            assertThat(decoder.bufferCapacity()).isZero();
            assertThat(allocated).as("bytes allocated").isLessThan(16 * 1024);
        }
    }

    @Test
    void aFrameOfExactlyTheLimitIsAcceptedAndOneByteMoreIsNot() throws Exception {
        int limit = ProtocolLimits.MIN_FRAME_SIZE_LIMIT;
        Frame exact = FrameCodecTest.frameOfSize(limit);
        byte[] wire = FrameCodec.encode(exact, limit);
        FrameDecoder decoder = new FrameDecoder(limit);
        assertThat(decoder.decode(ByteBuffer.wrap(wire, 0, 100))).isNull();
        assertThat(decoder.decode(ByteBuffer.wrap(wire, 100, wire.length - 100))).isEqualTo(exact);

        byte[] over = FrameCodec.encode(FrameCodecTest.frameOfSize(limit + 1), limit + 1);
        assertThatThrownBy(() -> new FrameDecoder(limit).decode(ByteBuffer.wrap(over)))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE));
    }

    @Test
    void bufferGrowsWithBytesReceivedNotWithTheDeclaredLength() throws Exception {
        Allocation.assumeMeasurable();
        int limit = ProtocolLimits.MAX_FRAME_SIZE_LIMIT;
        Frame big = FrameCodecTest.frameOfSize(limit);
        byte[] wire = FrameCodec.encode(big, limit);
        FrameDecoder decoder = new FrameDecoder(limit);

        long before = Allocation.allocatedByThisThread();
        assertThat(decoder.decode(ByteBuffer.wrap(wire, 0, 104))).isNull();
        long allocated = Allocation.allocatedByThisThread() - before;
        assertThat(decoder.bufferCapacity()).isLessThanOrEqualTo(8 * 1024);
        assertThat(allocated).as("bytes allocated for a 16 MiB frame after 100 body bytes").isLessThan(64 * 1024);

        int offset = 104;
        int peak = 0;
        Frame decoded = null;
        while (offset < wire.length) {
            int chunk = Math.min(64 * 1024, wire.length - offset);
            decoded = decoder.decode(ByteBuffer.wrap(wire, offset, chunk));
            offset += chunk;
            if (decoded == null) {
                int received = offset - 4;
                assertThat(decoder.bufferCapacity()).isLessThanOrEqualTo(Math.min(limit, 2 * received));
                peak = Math.max(peak, decoder.bufferCapacity());
            }
        }
        assertThat(decoded).isEqualTo(big);
        assertThat(peak).isEqualTo(limit);
        assertThat(decoder.bufferCapacity()).as("buffer released after the frame").isZero();
    }

    @Test
    void malformedFrameIsAProtocolErrorAndTheDecoderStaysFailed() throws Exception {
        // length 3, then field 1 (stream_id) as a varint cut off inside the frame
        byte[] wire = {0, 0, 0, 3, 0x08, (byte) 0x80, (byte) 0x80};
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(wire)))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_PROTOCOL_ERROR));
        byte[] valid = FrameCodec.encode(SampleFrames.all().get(0).frame(), LIMIT);
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(valid))).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(decoder::endOfInput).isInstanceOf(ProtocolException.class);
    }

    @Test
    void invalidUtf8InAStringFieldIsAProtocolError() {
        // Frame.hello (field 16, length-delimited: tag 0x82 0x01) holding Hello.device_namespace = C3 28
        byte[] body = {(byte) 0x82, 0x01, 0x04, 0x0A, 0x02, (byte) 0xC3, 0x28};
        byte[] wire = ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
        assertThatThrownBy(() -> new FrameDecoder(LIMIT).decode(ByteBuffer.wrap(wire)))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_PROTOCOL_ERROR));
    }

    @Test
    void zeroLengthFrameDecodesToAnEmptyFrameThatValidationRefuses() throws Exception {
        Frame empty = new FrameDecoder(LIMIT).decode(ByteBuffer.wrap(new byte[4]));
        assertThat(empty).isEqualTo(Frame.getDefaultInstance());
        assertThatThrownBy(() -> Frames.validate(empty, Direction.AGENT_TO_ARANYA))
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    void framesDecodedFromADirectBufferDoNotShareItsMemory() throws Exception {
        Frame frame = SampleFrames.data(1, 1, Channel.CHANNEL_STDOUT, "hello world");
        byte[] wire = FrameCodec.encode(frame, LIMIT);
        ByteBuffer direct = ByteBuffer.allocateDirect(wire.length).put(wire).flip();
        Frame decoded = new FrameDecoder(LIMIT).decode(direct);
        direct.clear();
        direct.put(new byte[wire.length]); // the transport reuses its buffer
        assertThat(decoded).isEqualTo(frame);
    }

    private static List<Frame> sampleFrames() {
        return SampleFrames.all().stream().map(SampleFrames.Sample::frame).toList();
    }

    private static byte[] concat(List<Frame> frames) throws ProtocolException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Frame frame : frames) {
            out.writeBytes(FrameCodec.encode(frame, LIMIT));
        }
        return out.toByteArray();
    }
}
