package dev.aranya.itests.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A running {@code kubectl port-forward POD :port}, with the local port it chose and everything it printed. */
public final class KubectlPortForward implements AutoCloseable {
    private static final Pattern FORWARDING = Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+) ->");

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final int localPort;

    private KubectlPortForward(Process process) throws IOException {
        this.process = process;
        this.localPort = awaitForwarding();
    }

    /** Starts kubectl and waits until it listens; {@code flags} come before the subcommand (e.g. {@code -v=4}). */
    public static KubectlPortForward start(Path kubectl, Path kubeconfig, String namespace, String pod, int remotePort,
            String... flags) throws IOException {
        List<String> command = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString(),
                "-n", namespace));
        command.addAll(List.of(flags));
        command.addAll(List.of("port-forward", pod, ":" + remotePort));
        return new KubectlPortForward(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    private int awaitForwarding() throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = lines.readLine()) != null) {
            output.append(line).append('\n');
            Matcher matcher = FORWARDING.matcher(line);
            if (matcher.find()) {
                Thread drain = new Thread(() -> lines.lines().forEach(l -> output.append(l).append('\n')),
                        "port-forward-output");
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(matcher.group(1));
            }
        }
        throw new IllegalStateException("kubectl port-forward ended without forwarding:\n" + output);
    }

    public int localPort() {
        return localPort;
    }

    /** Everything kubectl printed so far. */
    public String output() {
        return output.toString();
    }

    /** Waits up to {@code seconds} for kubectl to print {@code text}; returns whether it did. */
    public boolean awaitOutput(String text, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!output.toString().contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return output.toString().contains(text);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
