package dev.aranya.arhat.internal;

import com.google.protobuf.Timestamp;
import dev.aranya.protocol.v1.NodeStatus;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The host's status from {@code /proc}: CPU time (and its use since the last sample), memory, the reported
 * filesystem, network counters of every interface but loopback, load and uptime. What cannot be read stays unset.
 */
final class NodeStatusSampler implements Supplier<NodeStatus> {
    /** /proc/stat counts in USER_HZ ticks, 100 per second on Linux. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private final HostFiles files;
    private final Path filesystem;
    private long lastCpuNanos = -1;
    private long lastSampleNanos;

    NodeStatusSampler(Path root, Path filesystem) {
        this.files = new HostFiles(root);
        this.filesystem = filesystem;
    }

    @Override
    public synchronized NodeStatus get() {
        Instant now = Instant.now();
        NodeStatus.Builder status = NodeStatus.newBuilder()
                .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
        cpuNanos().ifPresent(cpu -> {
            status.setCpuUsageCoreNanoseconds(cpu);
            long sampled = System.nanoTime();
            if (lastCpuNanos >= 0 && sampled > lastSampleNanos) {
                status.setCpuUsageNanoCores(Math.max(0, (cpu - lastCpuNanos) * 1_000_000_000L / (sampled - lastSampleNanos)));
            }
            lastCpuNanos = cpu;
            lastSampleNanos = sampled;
        });
        Optional<Long> total = files.meminfo("MemTotal");
        Optional<Long> available = files.meminfo("MemAvailable");
        available.ifPresent(status::setMemoryAvailableBytes);
        if (total.isPresent() && available.isPresent()) {
            status.setMemoryUsageBytes(total.get() - available.get());
        }
        try {
            FileStore store = Files.getFileStore(filesystem);
            status.setFilesystemAvailableBytes(store.getUsableSpace());
            status.setFilesystemUsedBytes(store.getTotalSpace() - store.getUnallocatedSpace());
        } catch (IOException e) {
            // unknown: stays unset
        }
        network(status);
        files.text("proc/uptime").ifPresent(text -> status.setUptimeSeconds((long) Double.parseDouble(text.split("\\s+")[0])));
        files.text("proc/loadavg").ifPresent(text -> {
            String[] fields = text.split("\\s+");
            status.setLoad1M(Double.parseDouble(fields[0]));
            status.setLoad5M(Double.parseDouble(fields[1]));
            status.setLoad15M(Double.parseDouble(fields[2]));
        });
        return status.build();
    }

    /** CPU time used by all cores since boot: the first line of /proc/stat without idle and iowait. */
    private Optional<Long> cpuNanos() {
        return files.text("proc/stat").map(text -> {
            String[] fields = text.lines().findFirst().orElse("").trim().split("\\s+");
            long busy = 0;
            // cpu user nice system idle iowait irq softirq steal (guest times are inside user and nice)
            for (int i = 1; i < Math.min(fields.length, 9); i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(fields[i]);
                }
            }
            return busy * NANOS_PER_TICK;
        });
    }

    private void network(NodeStatus.Builder status) {
        files.text("proc/net/dev").ifPresent(text -> {
            long rx = 0;
            long tx = 0;
            for (String line : text.lines().skip(2).toList()) {
                String[] parts = line.trim().split(":\\s*", 2);
                if (parts.length < 2 || parts[0].equals("lo")) {
                    continue;
                }
                String[] counters = parts[1].trim().split("\\s+");
                rx += Long.parseLong(counters[0]);
                tx += Long.parseLong(counters[8]);
            }
            status.setNetworkRxBytes(rx);
            status.setNetworkTxBytes(tx);
        });
    }
}
