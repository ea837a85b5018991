package dev.aranya.arhat.internal;

import static dev.aranya.arhat.internal.RecordingStream.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.protocol.v1.Attach;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AttachStreamTest {
    private final HostStreamsComponent hosts = TestHosts.hosts();

    @AfterEach
    void stop() throws InterruptedException {
        hosts.deactivate();
    }

    private RecordingStream attach(String container) {
        return TestHosts.open(hosts, Frame.newBuilder().setStreamId(1).setAttach(Attach.newBuilder()
                .setContainer(container).setTty(true).setStdin(true).setStdout(true)).build(), new RecordingStream());
    }

    @Test
    void clientsOfOneContainerShareItsShellUntilItExits() throws Exception {
        RecordingStream first = attach("");
        RecordingStream second = attach("");
        await(() -> first.accepted() && second.accepted(), "both attaches");

        first.type("echo shared-$((20+22))\n");
        await(() -> first.text(Channel.CHANNEL_STDOUT).contains("shared-42")
                && second.text(Channel.CHANNEL_STDOUT).contains("shared-42"), "the output on both clients");

        second.type("exit 7\n");
        assertThat(first.awaitEnd().getExitCode()).isEqualTo(7);
        assertThat(second.awaitEnd().getExitCode()).isEqualTo(7);
    }

    @Test
    void aDetachLeavesTheShellForTheNextClient() throws Exception {
        RecordingStream first = attach("ops");
        await(first::accepted, "the attach");
        first.type("MARK=kept\n");
        await(() -> first.consumedBytes() == "MARK=kept\n".length(), "the line to reach the console");
        first.listener().onCancel(Cancel.getDefaultInstance());
        assertThat(first.awaitEnd().getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_CANCELLED);

        RecordingStream next = attach("ops");
        await(next::accepted, "the second attach");
        next.type("echo mark-$MARK\n");
        await(() -> next.text(Channel.CHANNEL_STDOUT).contains("mark-kept"), "the same shell's variable");

        RecordingStream other = attach("other");
        await(other::accepted, "another container's console");
        other.type("echo mark-$MARK-\n");
        await(() -> other.text(Channel.CHANNEL_STDOUT).contains("mark--"), "a separate shell");
    }
}
