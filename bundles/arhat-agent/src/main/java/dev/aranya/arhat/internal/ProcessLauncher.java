package dev.aranya.arhat.internal;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import com.pty4j.WinSize;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.TerminalSize;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Starts host processes as the agent's own OS user, on pipes or on a pseudo terminal. */
final class ProcessLauncher {
    private static final String DEFAULT_TERM = "xterm";
    private static final String SHELL = "/bin/sh";
    /** How often a sized terminal's first process checks for its size before it runs the command anyway. */
    private static final int SIZE_POLLS = 200;

    private ProcessLauncher() {
    }

    /**
     * Starts {@code command}.
     *
     * @param tty         a pseudo terminal (stderr merged into it) instead of three pipes
     * @param stdin       whether the process gets input; without it, stdin is /dev/null (pipes only)
     * @param initialSize the terminal's first size, or null
     * @throws StreamRefused NOT_FOUND or PERMISSION_DENIED when the command cannot be run
     */
    static Process start(List<String> command, Map<String, String> extraEnv, boolean tty, boolean stdin,
            TerminalSize initialSize, Path workingDirectory) throws StreamRefused {
        if (command.isEmpty() || command.get(0).isEmpty()) {
            throw new StreamRefused(ErrorCode.ERROR_CODE_BAD_REQUEST, "no command given");
        }
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(extraEnv);
        List<String> argv = new ArrayList<>(command);
        argv.set(0, resolve(command.get(0), env.getOrDefault("PATH", ""), workingDirectory).toString());
        try {
            if (tty) {
                env.putIfAbsent("TERM", DEFAULT_TERM);
                boolean sized = initialSize != null && initialSize.getCols() > 0 && initialSize.getRows() > 0;
                List<String> launched = sized ? sizedFirst(argv) : argv;
                PtyProcess process = new PtyProcessBuilder(launched.toArray(String[]::new)).setEnvironment(env)
                        .setDirectory(workingDirectory.toString()).setRedirectErrorStream(true).setConsole(false).start();
                if (sized) {
                    resize(process, initialSize.getCols(), initialSize.getRows());
                }
                return process;
            }
            ProcessBuilder builder = new ProcessBuilder(argv).directory(workingDirectory.toFile());
            builder.environment().clear();
            builder.environment().putAll(env);
            if (!stdin) {
                builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            return builder.start();
        } catch (IOException e) {
            throw new StreamRefused(ErrorCode.ERROR_CODE_INTERNAL, command.get(0) + ": cannot start: " + e.getMessage());
        }
    }

    /**
     * pty4j sets a new terminal's size from the parent after the child started, so a quick command could read
     * 0x0 first: where there is a shell, it waits (briefly, bounded) until the parent has set the size and then
     * becomes the command (same pid, same exit status); without one, the size set after the start has to do. The
     * child only waits and never sets the size itself, so a resize the client sends meanwhile is not undone.
     */
    private static List<String> sizedFirst(List<String> argv) {
        if (!Files.isExecutable(Path.of(SHELL))) {
            return argv;
        }
        List<String> command = new ArrayList<>(List.of(SHELL, "-c",
                "i=0; while [ \"$(stty size 2>/dev/null)\" = \"0 0\" ] && [ $i -lt " + SIZE_POLLS + " ]; do i=$((i+1)); done; "
                        + "exec \"$@\"", "sh"));
        command.addAll(argv);
        return command;
    }

    /** Sets a terminal's size; a process without a terminal ignores it. */
    static void resize(Process process, int cols, int rows) {
        if (process instanceof PtyProcess pty && process.isAlive()) {
            pty.setWinSize(new WinSize(cols, rows));
        }
    }

    /** Finds the executable the way a shell would, so a missing command is a clear NOT_FOUND, not a failed spawn. */
    static Path resolve(String command, String path, Path workingDirectory) throws StreamRefused {
        if (command.contains("/")) {
            Path file = workingDirectory.resolve(command);
            if (!Files.exists(file)) {
                throw new StreamRefused(ErrorCode.ERROR_CODE_NOT_FOUND, command + ": no such file on the device");
            }
            if (Files.isDirectory(file) || !Files.isExecutable(file)) {
                throw new StreamRefused(ErrorCode.ERROR_CODE_PERMISSION_DENIED,
                        command + ": not an executable file for the agent's user");
            }
            return file;
        }
        for (String folder : path.split(":")) {
            if (folder.isEmpty()) {
                continue;
            }
            Path file = Path.of(folder, command);
            if (Files.isRegularFile(file) && Files.isExecutable(file)) {
                return file;
            }
        }
        throw new StreamRefused(ErrorCode.ERROR_CODE_NOT_FOUND,
                command + ": command not found on the device (searched PATH=" + path + ")");
    }
}
