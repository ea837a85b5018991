package dev.aranya.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Goodbye;
import dev.aranya.protocol.v1.GoodbyeReason;
import dev.aranya.protocol.v1.Ping;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InboundSequencerTest {

    @Test
    void strictModeReleasesInOrderAndRejectsGapsAndRepeats() throws Exception {
        InboundSequencer sequencer = new InboundSequencer(0);
        assertThat(sequencer.accept(ping(1))).containsExactly(ping(1));
        assertThat(sequencer.accept(ping(2))).containsExactly(ping(2));
        assertThat(sequencer.nextExpected()).isEqualTo(3);
        assertThatThrownBy(() -> sequencer.accept(ping(2))).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_PROTOCOL_ERROR));
        assertThatThrownBy(() -> sequencer.accept(ping(4))).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("expecting 3");
    }

    @Test
    void reorderingModeRestoresOrderAndDropsDuplicates() throws Exception {
        InboundSequencer sequencer = new InboundSequencer(4);
        assertThat(sequencer.accept(ping(3))).isEmpty();
        assertThat(sequencer.accept(ping(2))).isEmpty();
        assertThat(sequencer.accept(ping(3))).isEmpty(); // duplicate of a held frame
        assertThat(sequencer.heldCount()).isEqualTo(2);
        assertThat(sequencer.accept(ping(1))).containsExactly(ping(1), ping(2), ping(3));
        assertThat(sequencer.heldCount()).isZero();
        assertThat(sequencer.accept(ping(2))).isEmpty(); // duplicate of a released frame
        assertThat(sequencer.nextExpected()).isEqualTo(4);
    }

    @Test
    void aFrameTooFarAheadMeansLossAndNothingBeyondTheLimitIsHeld() throws Exception {
        InboundSequencer sequencer = new InboundSequencer(4);
        assertThat(sequencer.accept(ping(5))).isEmpty(); // 4 ahead of 1: allowed
        assertThatThrownBy(() -> sequencer.accept(ping(6))).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("frames lost");
        assertThat(sequencer.heldCount()).isEqualTo(1);
    }

    @Test
    void goodbyeWithoutSequenceIsReleasedAtOnceButNothingElseMayOmitIt() throws Exception {
        Frame goodbye = SampleFrames.frame(0, 0).setGoodbye(Goodbye.newBuilder()
                .setReason(GoodbyeReason.GOODBYE_REASON_UNKNOWN_CONNECTION)).build();
        for (int limit : new int[] {0, 8}) {
            InboundSequencer sequencer = new InboundSequencer(limit);
            sequencer.accept(ping(1));
            assertThat(sequencer.accept(goodbye)).containsExactly(goodbye);
            assertThat(sequencer.nextExpected()).isEqualTo(2);
            assertThatThrownBy(() -> sequencer.accept(ping(0))).isInstanceOf(ProtocolException.class);
        }
    }

    /** MQTT-like delivery: every frame at least once, shuffled within the window; the output is exact. */
    @Test
    void shuffledDuplicatedDeliveryWithinTheWindowComesOutExactlyOnceInOrder() throws Exception {
        Random random = new Random(11);
        for (int round = 0; round < 200; round++) {
            int window = 1 + random.nextInt(16);
            int count = 1 + random.nextInt(300);
            List<Frame> sent = new ArrayList<>();
            for (int seq = 1; seq <= count; seq++) {
                sent.add(SampleFrames.data(1, seq, Channel.CHANNEL_STDOUT, "#" + seq));
            }
            // each copy of frame s arrives at a time in [s, s + window): never more than `window` - 1 ahead
            List<long[]> arrivals = new ArrayList<>(); // {time, sequence}
            for (int seq = 1; seq <= count; seq++) {
                int copies = random.nextInt(4) == 0 ? 2 + random.nextInt(2) : 1;
                for (int c = 0; c < copies; c++) {
                    arrivals.add(new long[] {seq + random.nextInt(window), seq});
                }
            }
            Collections.shuffle(arrivals, random);
            arrivals.sort(Comparator.comparingLong(a -> a[0]));
            List<Frame> delivery = new ArrayList<>();
            for (long[] arrival : arrivals) {
                delivery.add(sent.get((int) arrival[1] - 1));
            }
            InboundSequencer sequencer = new InboundSequencer(window);
            List<Frame> released = new ArrayList<>();
            for (Frame frame : delivery) {
                released.addAll(sequencer.accept(frame));
                assertThat(sequencer.heldCount()).isLessThanOrEqualTo(window);
            }
            assertThat(released).as("round %d", round).isEqualTo(sent);
            assertThat(sequencer.heldCount()).isZero();
        }
    }

    private static Frame ping(long sequence) {
        return SampleFrames.frame(0, sequence).setPing(Ping.newBuilder().setNonce(sequence)).build();
    }
}
