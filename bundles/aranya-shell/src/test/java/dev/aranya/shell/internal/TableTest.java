package dev.aranya.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TableTest {
    @Test
    void columnsAreAlignedAndMissingValuesShown() {
        String text = new Table("NAME", "PORT").row("edge-1", 10250).row("a-much-longer-name", null).toString();

        assertThat(text).isEqualTo("""
                NAME                 PORT
                edge-1               10250
                a-much-longer-name   <none>
                """);
    }

    @Test
    void aRowMustFitTheHeaders() {
        assertThatThrownBy(() -> new Table("A", "B").row("only one"))
                .hasMessage("row has 1 cells, table has 2 columns");
    }

    @Test
    void agesReadLikeKubectls() {
        Instant now = Instant.parse("2026-11-25T12:00:00Z");
        assertThat(AranyaCommands.age(now.minusSeconds(42), now)).isEqualTo("42s");
        assertThat(AranyaCommands.age(now.minusSeconds(303), now)).isEqualTo("5m3s");
        assertThat(AranyaCommands.age(now.minusSeconds(7800), now)).isEqualTo("2h10m");
        assertThat(AranyaCommands.age(now.minusSeconds(4 * 86_400 + 3600), now)).isEqualTo("4d1h");
        assertThat(AranyaCommands.age(now.plusSeconds(5), now)).as("clock skew").isEqualTo("0s");
    }

    @Test
    void nodeReadinessComesFromTheReadyCondition() {
        Node ready = new NodeBuilder().withNewStatus().addNewCondition().withType("Ready").withStatus("True")
                .endCondition().endStatus().build();
        Node unknown = new NodeBuilder().withNewStatus().addNewCondition().withType("Ready").withStatus("Unknown")
                .endCondition().endStatus().build();

        assertThat(AranyaCommands.nodeReady(ready)).isEqualTo("True");
        assertThat(AranyaCommands.nodeReady(unknown)).isEqualTo("Unknown");
        assertThat(AranyaCommands.nodeReady(new Node())).isEqualTo("Unknown");
        assertThat(AranyaCommands.nodeReady(null)).isEqualTo("no node");
    }
}
