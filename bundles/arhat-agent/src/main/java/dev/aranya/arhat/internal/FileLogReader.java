package dev.aranya.arhat.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Reads a log file: the last lines ({@code tail}), lines since a time (by their own timestamps), and, when
 * following, lines appended later, across truncation and rotation (a new file at the path is read from its start).
 *
 * <p>A line without a timestamp of its own has the time of the line before it; lines before the first dated one
 * count as new enough for any {@code since}.
 */
final class FileLogReader {
    private static final int BLOCK = 8 << 10;

    private final Path path;
    private final LogLineWriter out;
    private final LineTimestamps timestamps;
    private final Instant since;
    private final BooleanSupplier stopped;
    private final long pollMillis;
    private final LineSplitter lines = new LineSplitter(this::emit);
    private Instant lastTime;

    /**
     * @param since   drop lines older than this, or null
     * @param stopped tells the follow loop to end (cancel, connection lost)
     */
    FileLogReader(Path path, LogLineWriter out, LineTimestamps timestamps, Instant since, BooleanSupplier stopped,
            long pollMillis) {
        this.path = path;
        this.out = out;
        this.timestamps = timestamps;
        this.since = since;
        this.stopped = stopped;
        this.pollMillis = pollMillis;
    }

    /**
     * Sends the lines.
     *
     * @param tailLines how many of the last lines to start with, or a negative number for all
     * @param opened    called once the file is open at its starting point: a rotation from then on is followed
     */
    void run(long tailLines, boolean follow, Runnable opened) throws IOException, InterruptedException {
        SeekableByteChannel file = Files.newByteChannel(path);
        Object fileKey = fileKey(path);
        try {
            file.position(tailLines < 0 ? 0 : tailStart(file, tailLines));
            opened.run();
            ByteBuffer block = ByteBuffer.allocate(BLOCK);
            while (!stopped.getAsBoolean()) {
                block.clear();
                int read = file.read(block);
                if (read > 0) {
                    if (!lines.take(block.flip())) {
                        return;
                    }
                    continue;
                }
                if (!follow) {
                    lines.finish();
                    return;
                }
                Thread.sleep(pollMillis);
                Object currentKey = fileKey(path);
                boolean rotated = currentKey != null && !Objects.equals(currentKey, fileKey);
                boolean truncated = !rotated && currentKey != null && Files.size(path) < file.position();
                if (rotated || truncated) {
                    file.close();
                    file = Files.newByteChannel(path);
                    fileKey = currentKey;
                }
            }
        } finally {
            file.close();
        }
    }

    /** Where the last {@code lines} lines start: a final line end does not count as the start of one more line. */
    static long tailStart(SeekableByteChannel file, long lines) throws IOException {
        long size = file.size();
        if (lines == 0) {
            return size;
        }
        ByteBuffer block = ByteBuffer.allocate(BLOCK);
        long end = size;
        long found = 0;
        boolean last = true;
        while (end > 0) {
            long start = Math.max(0, end - BLOCK);
            block.clear().limit((int) (end - start));
            file.position(start);
            while (block.hasRemaining() && file.read(block) >= 0) {
                // read the whole block
            }
            for (int i = (int) (end - start) - 1; i >= 0; i--) {
                if (block.get(i) == '\n') {
                    if (last && start + i == size - 1) {
                        continue; // the end of the last line
                    }
                    if (++found == lines) {
                        return start + i + 1;
                    }
                }
            }
            last = false;
            end = start;
        }
        return 0;
    }

    private boolean emit(byte[] line, int length) throws InterruptedException {
        Instant time = timestamps.parse(StandardCharsets.ISO_8859_1.decode(ByteBuffer.wrap(line, 0, Math.min(length, 64))));
        if (time != null) {
            lastTime = time;
        }
        if (since != null && lastTime != null && lastTime.isBefore(since)) {
            return true;
        }
        return out.write(lastTime, line, 0, length);
    }

    private static Object fileKey(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException rotatedAway) {
            return null;
        }
    }
}
