package dev.aranya.arhat.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Reads the OS's small text files ({@code /proc}, {@code /etc}) under a root, "/" except in tests. */
final class HostFiles {
    private final Path root;

    HostFiles(Path root) {
        this.root = root;
    }

    /** The file's text, or empty if it cannot be read. */
    Optional<String> text(String file) {
        try {
            return Optional.of(Files.readString(root.resolve(file)));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The file's text without surrounding white space, or empty if unreadable or blank. */
    Optional<String> value(String file) {
        return text(file).map(String::strip).filter(text -> !text.isEmpty());
    }

    /** A {@code /proc/meminfo} value in bytes. */
    Optional<Long> meminfo(String key) {
        return text("proc/meminfo").flatMap(text -> text.lines()
                .filter(line -> line.startsWith(key + ":"))
                .map(line -> Long.parseLong(line.replaceAll("\\D+", "")) * 1024)
                .findFirst());
    }
}
