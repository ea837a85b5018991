package dev.aranya.arhat.internal;

import static dev.aranya.arhat.internal.RecordingStream.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Signal;
import dev.aranya.protocol.v1.StreamEnd;
import dev.aranya.protocol.v1.TerminalSize;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExecStreamTest {
    private final HostStreamsComponent hosts = TestHosts.hosts();

    @AfterEach
    void stop() throws InterruptedException {
        hosts.deactivate();
    }

    private RecordingStream exec(Exec.Builder exec, RecordingStream stream) {
        return TestHosts.open(hosts, Frame.newBuilder().setStreamId(stream.id()).setExec(exec).build(), stream);
    }

    private static Exec.Builder command(boolean tty, String... argv) {
        return Exec.newBuilder().addAllCommand(List.of(argv)).setTty(tty).setStdin(true).setStdout(true).setStderr(!tty);
    }

    @Test
    void theExitCodeEndsTheStream() throws Exception {
        RecordingStream stream = exec(command(false, "sh", "-c", "echo out; echo err >&2; exit 3"), new RecordingStream());

        StreamEnd end = stream.awaitEnd();

        assertThat(end.hasError()).isFalse();
        assertThat(end.getExitCode()).isEqualTo(3);
        assertThat(stream.accepted()).isTrue();
        assertThat(stream.text(Channel.CHANNEL_STDOUT)).isEqualTo("out\n");
        assertThat(stream.text(Channel.CHANNEL_STDERR)).isEqualTo("err\n");
        assertThat(stream.halfClosed()).contains(Channel.CHANNEL_STDOUT, Channel.CHANNEL_STDERR);
    }

    @Test
    void stdinReachesTheProcessAndItsCreditIsReturned() throws Exception {
        RecordingStream stream = exec(command(false, "cat"), new RecordingStream());

        stream.type("hello\n");
        stream.type("world\n");
        stream.listener().onHalfClose(Channel.CHANNEL_STDIN);

        assertThat(stream.awaitEnd().getExitCode()).isZero();
        assertThat(stream.text(Channel.CHANNEL_STDOUT)).isEqualTo("hello\nworld\n");
        assertThat(stream.consumedBytes()).isEqualTo(12);
    }

    @Test
    void anUnknownCommandIsNotFoundAndNeverAccepted() throws Exception {
        RecordingStream stream = exec(command(false, "no-such-command-on-this-device"), new RecordingStream());

        StreamEnd end = stream.awaitEnd();

        assertThat(end.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_NOT_FOUND);
        assertThat(end.getError().getMessage()).contains("no-such-command-on-this-device: command not found");
        assertThat(stream.accepted()).isFalse();
    }

    @Test
    void withATtyTheProcessHasATerminalOfTheRequestedSize() throws Exception {
        RecordingStream stream = exec(command(true, "sh", "-c", "test -t 0 && test -t 1 && tty && stty size")
                .setInitialSize(TerminalSize.newBuilder().setCols(120).setRows(40)), new RecordingStream());

        assertThat(stream.awaitEnd().getExitCode()).isZero();
        assertThat(stream.text(Channel.CHANNEL_STDOUT)).contains("/dev/pts/").contains("40 120");
        assertThat(stream.bytes(Channel.CHANNEL_STDERR)).isZero();
    }

    @Test
    void aResizeIsSeenByTheProcess() throws Exception {
        RecordingStream stream = exec(command(true, "sh", "-c", "read line; stty size")
                .setInitialSize(TerminalSize.newBuilder().setCols(80).setRows(24)), new RecordingStream());
        await(stream::accepted, "the process to start");

        stream.listener().onResize(100, 30);
        stream.type("\n");

        assertThat(stream.awaitEnd().getExitCode()).isZero();
        assertThat(stream.text(Channel.CHANNEL_STDOUT)).contains("30 100");
    }

    @Test
    void cancelTerminatesTheProcess() throws Exception {
        RecordingStream stream = exec(command(false, "sleep", "60"), new RecordingStream());
        await(stream::accepted, "the process to start");

        stream.listener().onCancel(Cancel.newBuilder().setReason("client left").build());

        assertThat(stream.awaitEnd().getExitCode()).isEqualTo(128 + 15);
    }

    @Test
    void aProcessIgnoringTermIsKilledAfterTheGrace() throws Exception {
        RecordingStream stream = exec(command(false, "sh", "-c", "trap '' TERM; echo ready; sleep 60"), new RecordingStream());
        await(() -> stream.text(Channel.CHANNEL_STDOUT).contains("ready"), "the trap to be set");

        stream.listener().onCancel(Cancel.newBuilder().setSignal(Signal.SIGNAL_TERM).build());

        assertThat(stream.awaitEnd().getExitCode()).isEqualTo(128 + 9);
    }

    @Test
    void stoppingTheAgentStopsItsProcesses() throws Exception {
        RecordingStream stream = exec(command(false, "sh", "-c", "trap '' TERM; echo ready; sleep 60"), new RecordingStream());
        await(() -> stream.text(Channel.CHANNEL_STDOUT).contains("ready"), "the process to start");
        List<ProcessHandle> processes = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
        assertThat(processes).isNotEmpty();

        hosts.deactivate();

        await(() -> processes.stream().noneMatch(ProcessHandle::isAlive), "the process and its child to be gone");
    }

    @Test
    void outputLeftInThePipeWhenTheProcessExitsWaitsForASlowClient() throws Exception {
        RecordingStream stream = exec(command(false, "head", "-c", "50000", "/dev/zero"), new RecordingStream(1024));
        await(() -> stream.bytes(Channel.CHANNEL_STDOUT) == 1024, "the first window");

        Thread.sleep(3000); // head has exited; the rest of its output waits in the pipe and the pump
        assertThat(stream.hasEnded()).isFalse();

        stream.grant(1 << 20);
        assertThat(stream.awaitEnd().getExitCode()).isZero();
        assertThat(stream.bytes(Channel.CHANNEL_STDOUT)).isEqualTo(50000);
    }

    @Test
    void aBackgroundChildHoldingThePipeDoesNotHoldTheEndBack() throws Exception {
        RecordingStream stream = exec(command(false, "sh", "-c", "sleep 30 & echo started"), new RecordingStream());

        StreamEnd end = stream.awaitEnd();

        assertThat(end.getExitCode()).isZero();
        assertThat(stream.text(Channel.CHANNEL_STDOUT)).isEqualTo("started\n");
    }

    @Test
    void outputStopsAtTheWindowUntilCreditArrives() throws Exception {
        int total = 1 << 20;
        RecordingStream stream = exec(command(false, "head", "-c", String.valueOf(total), "/dev/zero"), new RecordingStream(64 << 10));
        await(() -> stream.bytes(Channel.CHANNEL_STDOUT) == 64 << 10, "the first window to fill");

        Thread.sleep(300);
        assertThat(stream.bytes(Channel.CHANNEL_STDOUT)).isEqualTo(64 << 10);
        assertThat(stream.hasEnded()).isFalse();

        stream.grant(total);
        assertThat(stream.awaitEnd().getExitCode()).isZero();
        assertThat(stream.bytes(Channel.CHANNEL_STDOUT)).isEqualTo(total);
    }
}
