package dev.aranya.arhat.internal;

import static dev.aranya.arhat.internal.RecordingStream.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Frame;
import dev.aranya.protocol.v1.Logs;
import dev.aranya.protocol.v1.StreamEnd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogStreamTest {
    private static final String LOG = """
            2026-11-25T10:00:00Z first
            2026-11-25T10:00:01.5Z second
            a continuation of the second line
            2026-11-25T10:00:02Z third
            2026-11-25T10:00:03Z fourth
            """;

    @TempDir
    Path folder;
    private HostStreamsComponent hosts;

    @AfterEach
    void stop() throws InterruptedException {
        if (hosts != null) {
            hosts.deactivate();
        }
    }

    private RecordingStream logs(Logs.Builder request) throws Exception {
        Path file = folder.resolve("app.log");
        if (!Files.exists(file)) {
            Files.writeString(file, LOG);
        }
        hosts = new HostStreamsComponent(TestHosts.settings(Map.of("", new LogSource.File(file),
                "journal", new LogSource.Journal("ssh"))));
        return TestHosts.open(hosts, Frame.newBuilder().setStreamId(1).setLogs(request).build(), new RecordingStream());
    }

    @Test
    void theWholeFile() throws Exception {
        RecordingStream stream = logs(Logs.newBuilder());

        assertThat(stream.awaitEnd()).isEqualTo(StreamEnd.getDefaultInstance());
        assertThat(stream.text(Channel.CHANNEL_STDOUT)).isEqualTo(LOG);
    }

    @Test
    void tailGivesTheLastLines() throws Exception {
        RecordingStream stream = logs(Logs.newBuilder().setTailLines(2));

        stream.awaitEnd();
        assertThat(stream.text(Channel.CHANNEL_STDOUT)).isEqualTo("2026-11-25T10:00:02Z third\n2026-11-25T10:00:03Z fourth\n");
    }

    @Test
    void tailZeroGivesNothing() throws Exception {
        RecordingStream stream = logs(Logs.newBuilder().setTailLines(0));

        stream.awaitEnd();
        assertThat(stream.text(Channel.CHANNEL_STDOUT)).isEmpty();
    }

    @Test
    void sinceKeepsNewerLinesAndUndatedLinesFollowTheirLine() throws Exception {
        Instant since = Instant.parse("2026-11-25T10:00:01Z");
        RecordingStream stream = logs(Logs.newBuilder().setSinceTime(Timestamp.newBuilder().setSeconds(since.getEpochSecond())));

        stream.awaitEnd();
        assertThat(stream.text(Channel.CHANNEL_STDOUT)).isEqualTo(LOG.substring(LOG.indexOf("2026-11-25T10:00:01.5Z")));
    }

    @Test
    void timestampsPrefixEachLineWithItsTime() throws Exception {
        RecordingStream stream = logs(Logs.newBuilder().setTailLines(4).setTimestamps(true));

        stream.awaitEnd();
        assertThat(stream.text(Channel.CHANNEL_STDOUT).lines().toList()).containsExactly(
                "2026-11-25T10:00:01.500Z 2026-11-25T10:00:01.5Z second",
                "2026-11-25T10:00:01.500Z a continuation of the second line",
                "2026-11-25T10:00:02Z 2026-11-25T10:00:02Z third",
                "2026-11-25T10:00:03Z 2026-11-25T10:00:03Z fourth");
    }

    @Test
    void limitBytesCutsTheOutput() throws Exception {
        RecordingStream stream = logs(Logs.newBuilder().setLimitBytes(30));

        assertThat(stream.awaitEnd().hasError()).isFalse();
        assertThat(stream.text(Channel.CHANNEL_STDOUT)).isEqualTo(LOG.substring(0, 30));
    }

    @Test
    void followSendsAppendedLinesUntilCancelled() throws Exception {
        RecordingStream stream = logs(Logs.newBuilder().setFollow(true).setTailLines(1));
        await(() -> stream.text(Channel.CHANNEL_STDOUT).equals("2026-11-25T10:00:03Z fourth\n"), "the last line");

        Files.writeString(folder.resolve("app.log"), "2026-11-25T10:00:04Z fifth\n", StandardOpenOption.APPEND);
        await(() -> stream.text(Channel.CHANNEL_STDOUT).endsWith("fifth\n"), "the appended line");
        assertThat(stream.hasEnded()).isFalse();

        stream.listener().onCancel(Cancel.getDefaultInstance());
        assertThat(stream.awaitEnd().getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_CANCELLED);
    }

    @Test
    void followReadsARotatedFileFromItsStart() throws Exception {
        RecordingStream stream = logs(Logs.newBuilder().setFollow(true).setTailLines(0));
        await(stream::accepted, "the log to open");

        Path log = folder.resolve("app.log");
        Files.move(log, folder.resolve("app.log.1"));
        Files.writeString(log, "after rotation\n");

        await(() -> stream.text(Channel.CHANNEL_STDOUT).equals("after rotation\n"), "the new file's line");
        stream.listener().onCancel(Cancel.getDefaultInstance());
        stream.awaitEnd();
    }

    @Test
    void previousIsUnsupportedForAFile() throws Exception {
        RecordingStream stream = logs(Logs.newBuilder().setPrevious(true));

        StreamEnd end = stream.awaitEnd();
        assertThat(end.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_UNSUPPORTED);
        assertThat(end.getError().getMessage()).contains("--previous");
    }

    @Test
    void anUnknownContainerIsNotFoundAndNamesTheConfiguredOnes() throws Exception {
        RecordingStream stream = logs(Logs.newBuilder().setContainer("nginx"));

        StreamEnd end = stream.awaitEnd();
        assertThat(end.getError().getCode()).isEqualTo(ErrorCode.ERROR_CODE_NOT_FOUND);
        assertThat(end.getError().getMessage()).contains("'nginx'").contains("[, journal]");
    }

    @Test
    void theJournalIsAskedWithTheKubeletOptions() {
        Logs request = Logs.newBuilder().setTailLines(5).setFollow(true).setPrevious(true).build();

        assertThat(JournalCommand.of("ssh", request, Instant.ofEpochSecond(1_700_000_000)))
                .containsExactly("journalctl", "--no-pager", "--quiet", "--output=short-iso-precise", "--unit=ssh",
                        "--boot=-1", "--since=@1700000000", "--lines=5", "--follow");
        assertThat(JournalCommand.of("", Logs.newBuilder().setFollow(true).build(), null))
                .containsExactly("journalctl", "--no-pager", "--quiet", "--output=short-iso-precise", "--no-tail", "--follow");
    }

    @Test
    void logSourcesAreParsedOrRefusedClearly() {
        Path home = Path.of("/opt/arhat");
        assertThat(LogSource.parse("journal", home)).isEqualTo(new LogSource.Journal(""));
        assertThat(LogSource.parse("journal:nginx.service", home)).isEqualTo(new LogSource.Journal("nginx.service"));
        assertThat(LogSource.parse("file:log/arhat.log", home)).isEqualTo(new LogSource.File(Path.of("/opt/arhat/log/arhat.log")));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LogSource.parse("syslog", home))
                .hasMessageContaining("none of journal, journal:<unit>, file:<path>");
    }

    @Test
    void syslogAndIsoTimesAreRead() {
        LineTimestamps timestamps = new LineTimestamps(java.time.ZoneOffset.UTC, Instant.parse("2026-11-25T12:00:00Z"));
        assertThat(timestamps.parse("Nov 25 10:00:00 host app: hi")).isEqualTo(Instant.parse("2026-11-25T10:00:00Z"));
        assertThat(timestamps.parse("Dec 31 23:00:00 host app: hi")).isEqualTo(Instant.parse("2025-12-31T23:00:00Z"));
        assertThat(timestamps.parse("2026-11-25 11:00:00,250 +0100 INFO")).isEqualTo(Instant.parse("2026-11-25T10:00:00.250Z"));
        assertThat(timestamps.parse("no time here")).isNull();
        assertThat(List.of(LineTimestamps.length("2026-11-25T10:00:00.123456+0000 host"))).containsExactly(31);
    }
}
