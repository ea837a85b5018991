package dev.aranya.arhat.internal;

import dev.aranya.protocol.v1.NodeAddress;
import dev.aranya.protocol.v1.NodeInfo;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the device is, read from the OS: hostname, OS and its release name, kernel, architecture, CPUs, memory, the
 * reported filesystem's size, addresses, machine id, boot id and the DMI product UUID (readable by root only on most
 * machines: absent otherwise). {@code root} is the host's filesystem root, "/" except in tests.
 */
final class NodeInfoReader implements Supplier<NodeInfo> {
    private final HostFiles files;
    private final Path filesystem;
    private final String agentVersion;

    NodeInfoReader(Path root, Path filesystem, String agentVersion) {
        this.files = new HostFiles(root);
        this.filesystem = filesystem;
        this.agentVersion = agentVersion;
    }

    @Override
    public NodeInfo get() {
        NodeInfo.Builder info = NodeInfo.newBuilder()
                .setOs(System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT))
                .setArchitecture(goArchitecture(System.getProperty("os.arch")))
                .setCpus(Runtime.getRuntime().availableProcessors())
                .setAgentVersion(agentVersion);
        String hostname = hostname();
        info.setHostname(hostname);
        osRelease("PRETTY_NAME").ifPresent(info::setOsImage);
        files.value("proc/sys/kernel/osrelease").ifPresent(info::setKernelVersion);
        files.value("etc/machine-id").ifPresent(info::setMachineId);
        files.value("proc/sys/kernel/random/boot_id").ifPresent(info::setBootId);
        files.value("sys/class/dmi/id/product_uuid").ifPresent(info::setSystemUuid);
        files.meminfo("MemTotal").ifPresent(info::setMemoryBytes);
        try {
            info.setDiskBytes(Files.getFileStore(filesystem).getTotalSpace());
        } catch (IOException e) {
            // unknown: stays unset
        }
        info.addAddresses(NodeAddress.newBuilder().setType(NodeAddress.Type.TYPE_HOSTNAME).setAddress(hostname));
        addresses().forEach(address -> info.addAddresses(
                NodeAddress.newBuilder().setType(NodeAddress.Type.TYPE_INTERNAL_IP).setAddress(address)));
        return info.build();
    }

    /** Kubernetes names architectures the Go way. */
    static String goArchitecture(String javaArch) {
        return switch (javaArch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            case "arm" -> "arm";
            case "x86", "i386", "i686" -> "386";
            default -> javaArch;
        };
    }

    private String hostname() {
        return files.value("proc/sys/kernel/hostname").or(() -> files.value("etc/hostname")).orElseGet(() -> {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                return "localhost";
            }
        });
    }

    Optional<String> osRelease(String key) {
        Optional<String> file = files.text("etc/os-release").or(() -> files.text("usr/lib/os-release"));
        return file.flatMap(text -> text.lines()
                .filter(line -> line.startsWith(key + "="))
                .map(line -> line.substring(key.length() + 1).replaceAll("^\"|\"$", ""))
                .findFirst());
    }

    /** The device's own IP addresses: interfaces that are up, without loopback and link-local addresses. */
    static List<String> addresses() {
        List<String> addresses = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    if (!address.isLinkLocalAddress() && !address.isLoopbackAddress()) {
                        String text = address.getHostAddress();
                        addresses.add(address instanceof Inet6Address ? text.replaceAll("%.*$", "") : text);
                    }
                }
            }
        } catch (SocketException e) {
            // no interfaces readable: the hostname address remains
        }
        addresses.sort((a, b) -> Boolean.compare(a.contains(":"), b.contains(":")));
        return addresses;
    }
}
