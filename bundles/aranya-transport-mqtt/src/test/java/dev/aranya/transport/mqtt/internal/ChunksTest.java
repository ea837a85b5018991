package dev.aranya.transport.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.protocol.ProtocolException;
import dev.aranya.protocol.v1.ErrorCode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Chunking of frames above the broker's message size, and reassembly whatever the broker does to the chunks. */
class ChunksTest {
    private static final int MAX_FRAME = 1 << 20;

    @Test
    void aFrameThatFitsTravelsBare() {
        byte[] frame = bytes(900, 1);
        assertThat(Chunks.split(frame, 7, 1, 1024)).containsExactly(frame);
    }

    @Test
    void shuffledAndRepeatedChunksReassembleOnceIntoTheFrame() throws Exception {
        byte[] frame = bytes(10_000, 2);
        List<byte[]> chunks = new ArrayList<>(Chunks.split(frame, 7, 5, 1024));
        assertThat(chunks).hasSize(11).allSatisfy(chunk -> assertThat(chunk.length).isLessThanOrEqualTo(1024));
        chunks.addAll(chunks.subList(0, 4)); // QoS 1 redelivery
        Collections.shuffle(chunks, new Random(3));

        ChunkAssembler assembler = new ChunkAssembler(MAX_FRAME);
        List<byte[]> completed = new ArrayList<>();
        for (byte[] chunk : chunks) {
            byte[] done = assembler.accept(Chunks.parse(chunk), 5);
            if (done != null) {
                completed.add(done);
            }
        }
        assertThat(completed).hasSize(1);
        assertThat(completed.get(0)).isEqualTo(frame);
        // a late duplicate of a frame already delivered starts nothing
        assertThat(assembler.accept(Chunks.parse(chunks.get(0)), 6)).isNull();
    }

    @Test
    void chunksThatDisagreeOrPileUpAreAProtocolError() throws Exception {
        List<byte[]> chunks = Chunks.split(bytes(5_000, 4), 7, 2, 1024);
        ChunkAssembler assembler = new ChunkAssembler(MAX_FRAME);
        assembler.accept(Chunks.parse(chunks.get(0)), 1);
        byte[] otherCount = Chunks.split(bytes(9_000, 5), 7, 2, 1024).get(1);
        assertThatThrownBy(() -> assembler.accept(Chunks.parse(otherCount), 1))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_PROTOCOL_ERROR));

        ChunkAssembler piling = new ChunkAssembler(MAX_FRAME);
        for (long sequence = 2; sequence < 2 + ChunkAssembler.MAX_PARTIAL_FRAMES; sequence++) {
            piling.accept(Chunks.parse(Chunks.split(bytes(5_000, 6), 7, sequence, 1024).get(0)), 1);
        }
        byte[] oneMore = Chunks.split(bytes(5_000, 6), 7, 99, 1024).get(0);
        assertThatThrownBy(() -> piling.accept(Chunks.parse(oneMore), 1))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_RESOURCE_EXHAUSTED));

        assertThatThrownBy(() -> Chunks.parse(new byte[] {0, 1, 2}))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("has no data");
    }

    private static byte[] bytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }
}
