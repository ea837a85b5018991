package dev.aranya.arhat.internal;

import java.nio.file.Path;

/** Where the logs of one virtual-pod container name come from. */
sealed interface LogSource permits LogSource.Journal, LogSource.File {
    /** The systemd journal, all of it or one unit's. */
    record Journal(String unit) implements LogSource {
        @Override
        public String toString() {
            return unit.isEmpty() ? "journal" : "journal:" + unit;
        }
    }

    /** A text file, one log line per line. */
    record File(Path path) implements LogSource {
        @Override
        public String toString() {
            return "file:" + path;
        }
    }

    /**
     * Parses {@code journal}, {@code journal:<unit>} or {@code file:<path>}; a relative path is taken from {@code home}.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    static LogSource parse(String spec, Path home) {
        String trimmed = spec.trim();
        if (trimmed.equals("journal")) {
            return new Journal("");
        }
        if (trimmed.startsWith("journal:") && trimmed.length() > "journal:".length()) {
            return new Journal(trimmed.substring("journal:".length()));
        }
        if (trimmed.startsWith("file:") && trimmed.length() > "file:".length()) {
            return new File(home.resolve(trimmed.substring("file:".length())).normalize());
        }
        throw new IllegalArgumentException("log source '" + spec + "' is none of journal, journal:<unit>, file:<path>");
    }
}
