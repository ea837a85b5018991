package dev.aranya.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.protocol.v1.ErrorCode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StreamWindowTest {

    @Test
    void receiverRefusesDataBeyondTheWindowAndKeepsItsAccount() throws Exception {
        StreamWindow window = new StreamWindow(100);
        window.consume(60);
        assertThat(window.available()).isEqualTo(40);
        assertThatThrownBy(() -> window.consume(41)).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_FLOW_CONTROL));
        assertThat(window.available()).isEqualTo(40);
        window.consume(40);
        assertThat(window.available()).isZero();
        window.consume(0);
        assertThatThrownBy(() -> window.consume(1)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void senderTakesAtMostWhatIsAvailable() {
        StreamWindow window = new StreamWindow(100);
        assertThat(window.consumeUpTo(30)).isEqualTo(30);
        assertThat(window.consumeUpTo(500)).isEqualTo(70);
        assertThat(window.consumeUpTo(500)).isZero();
        assertThat(window.available()).isZero();
    }

    @Test
    void grantAddsCreditUpToTheMaximumWindowAndNoFurther() throws Exception {
        StreamWindow window = new StreamWindow(0);
        window.grant(10);
        assertThat(window.available()).isEqualTo(10);
        window.grant(ProtocolLimits.MAX_WINDOW - 10L);
        assertThat(window.available()).isEqualTo(ProtocolLimits.MAX_WINDOW);
        assertThatThrownBy(() -> window.grant(1)).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_FLOW_CONTROL));
        assertThat(window.available()).isEqualTo(ProtocolLimits.MAX_WINDOW);

        StreamWindow empty = new StreamWindow(0);
        assertThatThrownBy(() -> empty.grant(0xFFFF_FFFFL)).isInstanceOf(ProtocolException.class); // max uint32 credit
        assertThatThrownBy(() -> empty.grant(0)).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ERROR_CODE_FLOW_CONTROL));
        assertThat(empty.available()).isZero();
    }

    @Test
    void negativeArgumentsAreProgrammingErrors() {
        assertThatThrownBy(() -> new StreamWindow(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StreamWindow(1).consume(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StreamWindow(1).consumeUpTo(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A sender and a receiver following the rules (send only consumed credit; grant what was delivered, in
     * batches) move any amount of data through a small window without the receiver ever seeing an overrun, and
     * the sender stalls while the receiver holds undelivered bytes.
     */
    @Test
    void conformingPeersNeverOverrunAndTheSenderStallsOnAFullWindow() throws Exception {
        int initial = 1_000;
        StreamWindow senderSide = new StreamWindow(initial);
        StreamWindow receiverSide = new StreamWindow(initial);
        Deque<Integer> inFlight = new ArrayDeque<>();
        Random random = new Random(3);
        long total = 5_000_000;
        long sent = 0;
        long delivered = 0;
        long undelivered = 0;
        long ungranted = 0;
        while (delivered < total) {
            int chunk = senderSide.consumeUpTo((int) Math.min(total - sent, 1 + random.nextInt(700)));
            if (chunk > 0) {
                inFlight.add(chunk);
                sent += chunk;
            }
            if (!inFlight.isEmpty() && random.nextBoolean()) {
                int arrived = inFlight.poll();
                receiverSide.consume(arrived); // throws on an overrun
                undelivered += arrived;
            }
            assertThat(sent - delivered).isLessThanOrEqualTo(initial); // never more than one window unacknowledged
            if (undelivered > 0 && random.nextInt(3) == 0) {
                int n = (int) Math.min(undelivered, 1 + random.nextInt(500));
                undelivered -= n;
                delivered += n;
                ungranted += n;
                if (ungranted >= initial / 2 || delivered == total) { // batch WindowUpdates at half a window
                    receiverSide.grant(ungranted);
                    senderSide.grant(ungranted);
                    ungranted = 0;
                }
            }
        }
        assertThat(sent).isEqualTo(total);
        assertThat(senderSide.available()).isEqualTo(initial);
        assertThat(receiverSide.available()).isEqualTo(initial);
    }

    @Test
    void concurrentConsumeAndGrantLoseNoCredit() throws Exception {
        StreamWindow window = new StreamWindow(0);
        int grants = 200_000;
        AtomicLong taken = new AtomicLong();
        AtomicReference<Throwable> error = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        Thread granter = new Thread(() -> {
            try {
                start.await();
                for (int i = 0; i < grants; i++) {
                    window.grant(3);
                }
            } catch (Throwable t) {
                error.set(t);
            }
        });
        Thread sender = new Thread(() -> {
            try {
                start.await();
                while (taken.get() < 3L * grants) {
                    taken.addAndGet(window.consumeUpTo(7));
                }
            } catch (Throwable t) {
                error.set(t);
            }
        });
        granter.start();
        sender.start();
        start.countDown();
        granter.join(30_000);
        sender.join(30_000);
        assertThat(error.get()).isNull();
        assertThat(taken.get()).isEqualTo(3L * grants);
        assertThat(window.available()).isZero();
    }
}
