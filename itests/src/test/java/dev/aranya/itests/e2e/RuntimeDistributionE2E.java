package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.RuntimeBundles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The distribution as an operator starts it: {@code bin/aranya check} and {@code bin/aranya run} with SIGTERM. */
class RuntimeDistributionE2E {
    private static final Path ARANYA = RuntimeBundles.runtimeDir().resolve("bin/aranya");

    @TempDir
    Path work;

    @Test
    void checkListsEveryBundleActive() throws Exception {
        Process check = new ProcessBuilder(ARANYA.toString(), "check").redirectErrorStream(true).start();
        String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(check.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as(output).isZero();
        assertThat(output).containsPattern("Active\\s+dev\\.aranya\\.api\\s")
                .containsPattern("Active\\s+dev\\.aranya\\.kube\\s")
                .containsPattern("Active\\s+dev\\.aranya\\.protocol\\s")
                .containsPattern("Active\\s+io\\.grpc\\.all\\s")
                .containsPattern("Active\\s+io\\.fabric8\\.kubernetes-client-all\\s")
                .containsPattern("all bundles active in \\d+ ms")
                .doesNotContain("Installed ");
    }

    @Test
    void runStopsCleanlyOnSigterm() throws Exception {
        Path log = work.resolve("aranya.out");
        Process aranya = new ProcessBuilder(ARANYA.toString(), "run").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            awaitLine(log, "Aranya started from", 60);

            aranya.destroy(); // SIGTERM

            assertThat(aranya.waitFor(40, TimeUnit.SECONDS)).as("stopped within 40 s").isTrue();
            String output = Files.readString(log);
            // the launcher prints this to the console once every bundle has stopped (the log is closed by then;
            // its own "Stopping Aranya" line can be lost when log4j is already stopping)
            assertThat(output).containsPattern("Aranya stopped in \\d+ ms").doesNotContain("did not stop within");
        } finally {
            aranya.destroyForcibly();
        }
    }

    private static void awaitLine(Path log, String text, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + text + "' within " + seconds + " s:\n" + Files.readString(log));
    }
}
