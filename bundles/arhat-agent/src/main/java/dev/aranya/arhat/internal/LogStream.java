package dev.aranya.arhat.internal;

import dev.aranya.api.Aranya;
import dev.aranya.api.agent.AgentStream;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.Logs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Sends the logs of one source (the journal or a file) with the kubelet's log options. */
final class LogStream extends HostStream {
    /** How much of journalctl's error output a failure reports. */
    private static final int ERROR_EXCERPT = 1024;

    private final Logs request;
    private volatile boolean stopped;
    private volatile Process journal;

    LogStream(Logs request, AgentStream stream, HostRuntime runtime) {
        super(stream, runtime);
        this.request = request;
    }

    @Override
    String describe() {
        return "logs of '" + request.getContainer() + "'" + (request.getFollow() ? " (follow)" : "");
    }

    @Override
    void start() {
        try {
            LogSource source = source(request.getContainer(), runtime.settings().logSources());
            validate(request);
            Instant since = since(request, Instant.now());
            LogLineWriter out = new LogLineWriter(sender, request.getTimestamps(), request.hasLimitBytes() ? request.getLimitBytes() : -1);
            if (source instanceof LogSource.File file) {
                readFile(file.path(), since, out);
            } else if (source instanceof LogSource.Journal journal) {
                readJournal(journal.unit(), since, out);
            }
        } catch (StreamRefused refused) {
            finish(StreamEnds.of(refused));
        } catch (IOException e) {
            finish(StreamEnds.error(ErrorCode.ERROR_CODE_INTERNAL, "reading the log failed: " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static LogSource source(String container, Map<String, LogSource> sources) throws StreamRefused {
        LogSource source = sources.get(Aranya.HOST_CONTAINER.equals(container) ? "" : container);
        if (source == null) {
            throw new StreamRefused(ErrorCode.ERROR_CODE_NOT_FOUND, "no log source is configured for container '"
                    + container + "' on the device (configured: " + new TreeSet<>(sources.keySet()) + ")");
        }
        return source;
    }

    static void validate(Logs request) throws StreamRefused {
        if (request.hasTailLines() && request.getTailLines() < 0) {
            throw new StreamRefused(ErrorCode.ERROR_CODE_BAD_REQUEST, "tailLines must not be negative");
        }
        if (request.hasLimitBytes() && request.getLimitBytes() < 1) {
            throw new StreamRefused(ErrorCode.ERROR_CODE_BAD_REQUEST, "limitBytes must be at least 1");
        }
    }

    /** The oldest time wanted, or null for all. */
    static Instant since(Logs request, Instant now) {
        return switch (request.getSinceCase()) {
            case SINCE_SECONDS -> now.minusSeconds(request.getSinceSeconds());
            case SINCE_TIME -> Instant.ofEpochSecond(request.getSinceTime().getSeconds(), request.getSinceTime().getNanos());
            default -> null;
        };
    }

    private void readFile(Path path, Instant since, LogLineWriter out) throws StreamRefused, IOException, InterruptedException {
        if (request.getPrevious()) {
            throw new StreamRefused(ErrorCode.ERROR_CODE_UNSUPPORTED,
                    "--previous is not supported for the file log source " + path + " (only the journal keeps previous boots)");
        }
        if (!Files.isReadable(path)) {
            throw new StreamRefused(ErrorCode.ERROR_CODE_NOT_FOUND,
                    "log file " + path + " does not exist or the agent's user cannot read it");
        }
        new FileLogReader(path, out, new LineTimestamps(ZoneId.systemDefault(), Instant.now()), since, () -> stopped,
                runtime.settings().followPoll().toMillis())
                .run(request.hasTailLines() ? request.getTailLines() : -1, request.getFollow(), this::accepted);
        finishRead();
    }

    private void readJournal(String unit, Instant since, LogLineWriter out) throws StreamRefused, IOException, InterruptedException {
        List<String> argv = JournalCommand.of(unit, request, since);
        Process process = runtime.start(argv, Map.of(), false, false, null);
        journal = process;
        if (stopped) {
            process.destroy();
        }
        accepted();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        runtime.pool().execute(() -> keepExcerpt(process.getErrorStream(), errors));
        LineTimestamps timestamps = new LineTimestamps(ZoneId.systemDefault(), Instant.now());
        // short-iso-precise lines start with the entry's time and a space: the time becomes the prefix or goes
        LineSplitter lines = new LineSplitter((line, length) -> {
            int stamp = LineTimestamps.length(StandardCharsets.ISO_8859_1.decode(ByteBuffer.wrap(line, 0, Math.min(length, 64))));
            Instant time = stamp == 0 ? null : timestamps.parse(new String(line, 0, stamp, StandardCharsets.ISO_8859_1));
            int skip = stamp < length && line[stamp] == ' ' ? stamp + 1 : stamp;
            return out.write(time, line, skip, length - skip);
        });
        try (InputStream in = process.getInputStream()) {
            byte[] buffer = new byte[PUMP_BUFFER_SIZE];
            int read;
            boolean wanted = true;
            while (wanted && (read = in.read(buffer)) >= 0) {
                wanted = lines.take(ByteBuffer.wrap(buffer, 0, read));
            }
            if (wanted) {
                lines.finish();
            }
        }
        process.destroy();
        int exit = process.waitFor();
        if (exit != 0 && !stopped && !out.limitReached() && !sender.closed()) {
            String message;
            synchronized (errors) {
                message = errors.toString(StandardCharsets.UTF_8).strip();
            }
            finish(StreamEnds.error(ErrorCode.ERROR_CODE_INTERNAL, "journalctl failed (exit " + exit + "): " + message));
            return;
        }
        finishRead();
    }

    private void finishRead() {
        finish(stopped ? StreamEnds.error(ErrorCode.ERROR_CODE_CANCELLED, "cancelled") : StreamEnds.ok());
    }

    private static void keepExcerpt(InputStream in, ByteArrayOutputStream excerpt) {
        try (in) {
            byte[] buffer = new byte[ERROR_EXCERPT];
            int read;
            while ((read = in.read(buffer)) >= 0) {
                synchronized (excerpt) {
                    excerpt.write(buffer, 0, Math.max(0, Math.min(read, ERROR_EXCERPT - excerpt.size())));
                }
            }
        } catch (IOException e) {
            // journalctl is gone: what it said so far is the excerpt
        }
    }

    @Override
    public void onData(Channel channel, ByteBuffer data) {
        stream.consumed(data.remaining()); // logs take no input
    }

    @Override
    public void onCancel(Cancel cancel) {
        stop();
    }

    @Override
    void stopOnConnectionLost() {
        stop();
    }

    private void stop() {
        stopped = true;
        Process process = journal;
        if (process != null) {
            process.destroy();
        }
    }
}
