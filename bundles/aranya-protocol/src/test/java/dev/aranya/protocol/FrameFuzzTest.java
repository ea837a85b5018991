package dev.aranya.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the decoders with random bytes and mutated valid frames, fed in random splits. Invariants: nothing but a
 * ProtocolException escapes decoding or validation, the decoder never buffers more than the limit, and whatever
 * decodes re-encodes to an equal frame.
 *
 * <p>Seeded: a failure names its seed and iteration; rerun with {@code -Daranya.fuzz.seed=<seed>}. Each campaign
 * stops after {@link #ITERATIONS} inputs or {@link #BUDGET_NANOS}, whichever comes first.
 */
class FrameFuzzTest {

    private static final long SEED = Long.getLong("aranya.fuzz.seed", 0x4172616E7961L);
    private static final int ITERATIONS = Integer.getInteger("aranya.fuzz.iterations", 30_000);
    private static final long BUDGET_NANOS = 6_000_000_000L;
    private static final int MIN_ITERATIONS = 2_000;
    private static final int LIMIT = ProtocolLimits.MIN_FRAME_SIZE_LIMIT;

    private final Map<ErrorCode, Integer> errors = new EnumMap<>(ErrorCode.class);
    private int decodedFrames;

    @Test
    void randomBytesBehindARandomLength() {
        int iterations = run(SEED, random -> {
            int length = random.nextInt(4) == 0 ? random.nextInt() : random.nextInt(2 * LIMIT);
            byte[] body = new byte[Math.floorMod(length, 2 * LIMIT + 1)];
            random.nextBytes(body);
            return ByteBuffer.allocate(4 + body.length).putInt(length).put(body).array();
        });
        assertThat(iterations).isGreaterThanOrEqualTo(MIN_ITERATIONS);
        assertThat(errors).containsKeys(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE, ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
    }

    @Test
    void mutatedValidFrames() throws Exception {
        List<byte[]> corpus = new ArrayList<>();
        for (SampleFrames.Sample sample : SampleFrames.all()) {
            corpus.add(FrameCodec.encode(sample.frame(), LIMIT));
        }
        int iterations = run(SEED + 1, random -> mutate(random, corpus));
        assertThat(iterations).isGreaterThanOrEqualTo(MIN_ITERATIONS);
        // the campaign reaches the parser and gets frames through it, not only length rejections
        assertThat(decodedFrames).isGreaterThan(iterations / 10);
        assertThat(errors).containsKeys(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE, ErrorCode.ERROR_CODE_PROTOCOL_ERROR);
    }

    @Test
    void mutatedBareMessages() throws Exception {
        List<byte[]> corpus = new ArrayList<>();
        for (SampleFrames.Sample sample : SampleFrames.all()) {
            corpus.add(FrameCodec.encodeMessage(sample.frame(), LIMIT));
        }
        Random random = new Random(SEED + 2);
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int parsed = 0;
        int i = 0;
        for (; i < ITERATIONS && System.nanoTime() < deadline; i++) {
            byte[] input = mutate(random, corpus);
            try {
                Frame frame = FrameCodec.decodeMessage(input, LIMIT);
                parsed++;
                checkDecoded(frame);
            } catch (ProtocolException expected) {
                // fine
            } catch (Throwable t) {
                fail(failure(SEED + 2, i, input, t), t);
            }
        }
        System.out.printf("fuzz seed %d: %d messages, %d parsed%n", SEED + 2, i, parsed);
        assertThat(i).isGreaterThanOrEqualTo(MIN_ITERATIONS);
        assertThat(parsed).isPositive();
    }

    interface Generator {
        byte[] next(Random random) throws Exception;
    }

    /** Feeds generated inputs in random splits to fresh decoders; returns the number of inputs. */
    private int run(long seed, Generator generator) {
        Random random = new Random(seed);
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int i = 0;
        for (; i < ITERATIONS && System.nanoTime() < deadline; i++) {
            byte[] input = null;
            try {
                input = generator.next(random);
                decodeInRandomSplits(random, input);
            } catch (Throwable t) {
                fail(failure(seed, i, input, t), t);
            }
        }
        System.out.printf("fuzz seed %d: %d inputs, %d frames decoded, errors %s%n", seed, i, decodedFrames, errors);
        return i;
    }

    private void decodeInRandomSplits(Random random, byte[] input) {
        FrameDecoder decoder = new FrameDecoder(LIMIT);
        try {
            int offset = 0;
            while (offset < input.length) {
                int chunk = Math.min(input.length - offset, 1 + random.nextInt(random.nextBoolean() ? 16 : 4 * LIMIT));
                ByteBuffer in = ByteBuffer.wrap(input, offset, chunk);
                Frame frame;
                while ((frame = decoder.decode(in)) != null) {
                    decodedFrames++;
                    checkDecoded(frame);
                    assertThat(decoder.bufferCapacity()).isLessThanOrEqualTo(LIMIT);
                }
                assertThat(in.hasRemaining()).as("input consumed when no frame completes").isFalse();
                assertThat(decoder.bufferCapacity()).isLessThanOrEqualTo(LIMIT);
                offset += chunk;
            }
            decoder.endOfInput();
        } catch (ProtocolException e) {
            errors.merge(e.code(), 1, Integer::sum);
            assertThat(decoder.bufferCapacity()).isZero();
        }
    }

    /** A decoded frame must survive what a receiver does next: validation, sequencing and re-encoding. */
    private static void checkDecoded(Frame frame) throws ProtocolException {
        for (Direction direction : Direction.values()) {
            try {
                Frames.validate(frame, direction);
            } catch (ProtocolException fine) {
                // rejected: fine
            }
        }
        try {
            new InboundSequencer(8).accept(frame);
        } catch (ProtocolException fine) {
            // rejected: fine
        }
        if (frame.getSerializedSize() <= LIMIT) {
            assertThat(FrameCodec.decodeMessage(FrameCodec.encodeMessage(frame, LIMIT), LIMIT)).isEqualTo(frame);
        }
    }

    private static byte[] mutate(Random random, List<byte[]> corpus) {
        byte[] input = corpus.get(random.nextInt(corpus.size())).clone();
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            if (input.length == 0) {
                input = new byte[] {(byte) random.nextInt()};
            }
            int at = random.nextInt(input.length);
            switch (random.nextInt(8)) {
                case 0 -> input[at] ^= (byte) (1 << random.nextInt(8));           // flip a bit
                case 1 -> input[at] = (byte) random.nextInt();                       // replace a byte
                case 2 -> input[at] = (byte) (random.nextBoolean() ? 0x80 : 0xFF); // varint continuation
                case 3 -> input = Arrays.copyOf(input, at);               // truncate
                case 4 -> {                                                           // insert random bytes
                    byte[] extra = new byte[1 + random.nextInt(16)];
                    random.nextBytes(extra);
                    input = splice(input, at, 0, extra);
                }
                case 5 -> {                                                           // delete a range
                    int length = Math.min(input.length - at, 1 + random.nextInt(8));
                    input = splice(input, at, length, new byte[0]);
                }
                case 6 -> {                                                           // append another frame
                    byte[] other = corpus.get(random.nextInt(corpus.size()));
                    input = splice(input, input.length, 0, other);
                }
                default -> {                                                          // rewrite a 4-byte window
                    if (input.length >= 4) {
                        int start = random.nextInt(input.length - 3);
                        int value = random.nextBoolean() ? random.nextInt(2 * LIMIT) : random.nextInt();
                        ByteBuffer.wrap(input, start, 4).putInt(value);
                    }
                }
            }
        }
        return input;
    }

    private static byte[] splice(byte[] input, int at, int remove, byte[] insert) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(input.length + insert.length);
        out.write(input, 0, at);
        out.writeBytes(insert);
        out.write(input, at + remove, input.length - at - remove);
        return out.toByteArray();
    }

    private static String failure(long seed, int iteration, byte[] input, Throwable t) {
        String hex = input == null ? "-" : HexFormat.of().formatHex(input, 0, Math.min(input.length, 256));
        return "campaign seed " + seed + " iteration " + iteration + " (rerun with -Daranya.fuzz.seed=" + SEED + "): " + t
                + "\ninput (first 256 bytes): " + hex;
    }
}
