package dev.aranya.arhat.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void delaysDoubleUpToTheMaximumAndStartOverAfterASuccess() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(5), 2, 0, () -> 0.5);

        assertThat(backoff.next()).hasSeconds(1);
        assertThat(backoff.next()).hasSeconds(2);
        assertThat(backoff.next()).hasSeconds(4);
        assertThat(backoff.next()).hasSeconds(5);
        assertThat(backoff.next()).hasSeconds(5);
        backoff.reset();
        assertThat(backoff.next()).hasSeconds(1);
    }

    @Test
    void jitterSpreadsEachDelayBothWays() {
        assertThat(new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(60), 2, 0.2, () -> 0.0).next()).hasMillis(8000);
        assertThat(new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(60), 2, 0.2, () -> 0.999_999).next()).hasMillis(12000);
        assertThat(new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(60), 2, 0.2, () -> 0.5).longest()).hasSeconds(60);
    }

    @Test
    void nonsenseSettingsAreRefusedWithTheirValues() {
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(1), 2, 0.2, () -> 0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("initial 10000 ms, max 1000 ms");
    }
}
