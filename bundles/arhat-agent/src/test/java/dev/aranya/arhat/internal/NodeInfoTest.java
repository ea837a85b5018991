package dev.aranya.arhat.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.protocol.v1.NodeAddress;
import dev.aranya.protocol.v1.NodeInfo;
import dev.aranya.protocol.v1.NodeStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeInfoTest {
    @Test
    void thisHostIsDescribedFromTheOs() throws Exception {
        NodeInfo info = new NodeInfoReader(Path.of("/"), Path.of("/"), "0.1.0").get();

        assertThat(info.getHostname()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/hostname")).strip());
        assertThat(info.getOs()).isEqualTo("linux");
        assertThat(info.getKernelVersion()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
        assertThat(info.getArchitecture()).isIn("amd64", "arm64");
        assertThat(info.getCpus()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(info.getMemoryBytes()).isGreaterThan(64L << 20);
        assertThat(info.getDiskBytes()).isPositive();
        assertThat(info.getBootId()).matches("[0-9a-f-]{36}");
        assertThat(info.getAddressesList()).first().isEqualTo(
                NodeAddress.newBuilder().setType(NodeAddress.Type.TYPE_HOSTNAME).setAddress(info.getHostname()).build());
        assertThat(info.getAgentVersion()).isEqualTo("0.1.0");
    }

    @Test
    void osReleaseAndMachineIdComeFromTheirFiles(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/os-release"), "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
        Files.writeString(root.resolve("etc/machine-id"), "0123456789abcdef0123456789abcdef\n");

        NodeInfo info = new NodeInfoReader(root, Path.of("/"), "x").get();

        assertThat(info.getOsImage()).isEqualTo("Debian GNU/Linux 12 (bookworm)");
        assertThat(info.getMachineId()).isEqualTo("0123456789abcdef0123456789abcdef");
        assertThat(info.getSystemUuid()).isEmpty();
    }

    @Test
    void statusCountsFromProc(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("proc/net"));
        Files.writeString(root.resolve("proc/stat"), "cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 1 2 3 4\n");
        Files.writeString(root.resolve("proc/meminfo"), "MemTotal:       2000 kB\nMemFree:  500 kB\nMemAvailable:   1500 kB\n");
        Files.writeString(root.resolve("proc/uptime"), "3600.52 7000.00\n");
        Files.writeString(root.resolve("proc/loadavg"), "0.50 0.25 0.10 1/100 4242\n");
        Files.writeString(root.resolve("proc/net/dev"), """
                Inter-|   Receive                                                |  Transmit
                 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0
                  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0
                 wlan0: 1 1 0 0 0 0 0 0 2 1 0 0 0 0 0 0
                """);

        NodeStatus status = new NodeStatusSampler(root, Path.of("/")).get();

        assertThat(status.getCpuUsageCoreNanoseconds()).isEqualTo((100 + 5 + 50 + 1 + 2 + 3) * 10_000_000L);
        assertThat(status.hasCpuUsageNanoCores()).isFalse();
        assertThat(status.getMemoryUsageBytes()).isEqualTo(500 * 1024L);
        assertThat(status.getMemoryAvailableBytes()).isEqualTo(1500 * 1024L);
        assertThat(status.getUptimeSeconds()).isEqualTo(3600);
        assertThat(status.getLoad1M()).isEqualTo(0.5);
        assertThat(status.getLoad15M()).isEqualTo(0.1);
        assertThat(status.getNetworkRxBytes()).isEqualTo(1001);
        assertThat(status.getNetworkTxBytes()).isEqualTo(2002);
        assertThat(status.getFilesystemAvailableBytes()).isPositive();
    }

    @Test
    void aSecondSampleReportsCpuUse() {
        NodeStatusSampler sampler = new NodeStatusSampler(Path.of("/"), Path.of("/"));
        sampler.get();

        assertThat(sampler.get().hasCpuUsageNanoCores()).isTrue();
    }
}
