package dev.aranya.controller.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KubeletPortsTest {
    @Test
    void deviceKeepsItsPortAndNoPortIsGivenTwice() {
        KubeletPorts ports = new KubeletPorts(10350, 10352);

        assertThat(ports.claim("a", 10351)).isEqualTo(10351);
        assertThat(ports.claim("b", 10351)).as("taken by a").isEqualTo(10350);
        assertThat(ports.claim("a", null)).as("a holds its port").isEqualTo(10351);
        assertThat(ports.claim("c", 9999)).as("out of range: lowest free").isEqualTo(10352);
        assertThatThrownBy(() -> ports.claim("d", null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("all 3 kubelet ports 10350..10352 are taken");

        ports.release("b");
        assertThat(ports.claim("d", null)).isEqualTo(10350);
        assertThat(ports.portOf("b")).isEmpty();
    }

    @Test
    void rangeMustMakeSense() {
        assertThatThrownBy(() -> new KubeletPorts(12000, 11000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("12000..11000");
    }
}
