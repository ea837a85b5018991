package dev.aranya.arhat.internal;

import dev.aranya.protocol.v1.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host consoles kubectl attach joins: one interactive shell on a pseudo terminal per container name, started by
 * the first attach and kept when clients detach. Every attached client sees the output from the moment it attached
 * and may type; the last resize wins. When the shell exits, every attached stream ends with its exit code and the
 * next attach starts a new shell.
 *
 * <p>Output is read once and sent to every attached client as its window allows: a client that stops reading holds
 * the console's output for all (memory stays one buffer per console).
 */
final class Consoles {
    private static final Logger LOG = LoggerFactory.getLogger(Consoles.class);

    /** One attached client. */
    interface Attachment {
        /** Sends console output; returns only when sent or when the client is gone. */
        void deliver(ByteBuffer output) throws InterruptedException;

        /** The shell exited. */
        void consoleExited(int exitCode);
    }

    private final HostRuntime runtime;
    private final Map<String, Console> consoles = new HashMap<>();
    private boolean closed;

    Consoles(HostRuntime runtime) {
        this.runtime = runtime;
    }

    /** Attaches to the console of {@code container}, starting its shell if none runs. */
    Console attach(String container, Attachment attachment) throws StreamRefused {
        synchronized (consoles) {
            if (closed) {
                throw new StreamRefused(ErrorCode.ERROR_CODE_UNAVAILABLE, "the agent is stopping");
            }
            Console console = consoles.get(container);
            if (console == null) {
                Process shell = runtime.start(runtime.settings().attachShell(), Map.of(), true, true, null);
                console = new Console(container, shell);
                consoles.put(container, console);
                LOG.info("Console '{}' started: {} (pid {})", container, runtime.settings().attachShell().get(0), shell.pid());
                runtime.pool().execute(console::readOutput);
            }
            console.attachments.add(attachment);
            return console;
        }
    }

    /** No more consoles start (the agent stops their shells with its other processes). */
    void close() {
        synchronized (consoles) {
            closed = true;
        }
    }

    final class Console {
        private final String container;
        private final Process shell;
        private final OutputStream input;
        private final List<Attachment> attachments = new CopyOnWriteArrayList<>();

        private Console(String container, Process shell) {
            this.container = container;
            this.shell = shell;
            this.input = shell.getOutputStream();
        }

        void detach(Attachment attachment) {
            attachments.remove(attachment);
        }

        /** Types into the console; false if the shell is gone. */
        boolean write(byte[] bytes) {
            synchronized (input) {
                try {
                    input.write(bytes);
                    input.flush();
                    return true;
                } catch (IOException e) {
                    return false;
                }
            }
        }

        void resize(int cols, int rows) {
            ProcessLauncher.resize(shell, cols, rows);
        }

        private void readOutput() {
            byte[] buffer = new byte[HostStream.PUMP_BUFFER_SIZE];
            try (InputStream output = shell.getInputStream()) {
                int read;
                while ((read = output.read(buffer)) >= 0) {
                    for (Attachment attachment : attachments) {
                        attachment.deliver(ByteBuffer.wrap(buffer, 0, read));
                    }
                }
            } catch (IOException e) {
                // the terminal reports the shell's end as an I/O error
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            int exitCode;
            try {
                exitCode = shell.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            synchronized (consoles) {
                consoles.remove(container, this);
            }
            LOG.info("Console '{}' ended: its shell exited with {}", container, exitCode);
            attachments.forEach(attachment -> attachment.consoleExited(exitCode));
        }
    }
}
