package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.DistributionProcess;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's distribution as a device operator starts it: {@code bin/arhat check}, and {@code bin/arhat run}. */
class ArhatDistributionE2E {
    @TempDir
    Path work;

    @Test
    void checkListsOnlyTheAgentsBundlesAllActive() throws Exception {
        try (DistributionProcess arhat = DistributionProcess.copy("arhat", work, "check")) {
            Process check = new ProcessBuilder(arhat.home().resolve("bin/arhat").toString(), "check").redirectErrorStream(true).start();
            String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(check.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(check.exitValue()).as(output).isZero();
            assertThat(output).containsPattern("Active\\s+dev\\.aranya\\.arhat\\s")
                    .containsPattern("Active\\s+dev\\.aranya\\.session\\s")
                    .containsPattern("Active\\s+dev\\.aranya\\.transport\\.tcp\\s")
                    .containsPattern("Active\\s+com\\.pty4j\\s")
                    .containsPattern("all bundles active in \\d+ ms")
                    .doesNotContain("fabric8").doesNotContain("dev.aranya.kube").doesNotContain("controller")
                    .contains("arhat stopped in");
        }
    }

    @Test
    void theAgentStartsRetriesAnUnreachableAranyaWithBackoffAndStopsOnSigterm() throws Exception {
        int closedPort;
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = unused.getLocalPort();
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("deviceNamespace", "default");
        config.put("deviceName", "arhat-e2e-agent");
        config.put("method", "tcp");
        config.put("link.host", "127.0.0.1");
        config.put("link.port", closedPort);
        config.put("reconnectInitialMillis", 200);
        config.put("reconnectMaxMillis", 1000);
        try (DistributionProcess arhat = DistributionProcess.copy("arhat", work, "run")) {
            arhat.configure("dev.aranya.arhat", config).start();

            arhat.awaitOutput("host streams", output -> output.contains("Host streams ready: commands run as OS user '"
                    + System.getProperty("user.name") + "'"), 60);
            // without a device certificate nor a bootstrap token to enrol with: a clear line, then the next try
            arhat.awaitOutput("two failed attempts", output -> output.split("Cannot connect to Aranya over tcp: ", -1).length > 2, 30);
            assertThat(arhat.output()).contains("no device certificate: set link.certificate and link.key, or link.bootstrapTokenFile to enrol").containsPattern("trying again in \\d+\\.\\d s");

            arhat.stop();
            assertThat(arhat.output()).containsPattern("arhat stopped in \\d+ ms").doesNotContain("did not stop within");
        }
    }
}
