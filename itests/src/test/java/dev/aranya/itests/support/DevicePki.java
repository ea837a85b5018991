package dev.aranya.itests.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The transports' mutual-TLS material, made with the operator's tool {@code scripts/device-pki.sh}. */
public final class DevicePki {
    private final Path dir;

    private DevicePki(Path dir) {
        this.dir = dir;
    }

    /** A new device CA and a server certificate for the given SANs. */
    public static DevicePki create(Path dir, String... serverSans) throws IOException, InterruptedException {
        DevicePki pki = new DevicePki(dir);
        pki.run("init", dir.toString());
        pki.run("server", dir.toString(), String.join(",", serverSans));
        return pki;
    }

    public Path ca() {
        return dir.resolve("ca.crt");
    }

    public Path serverCertificate() {
        return dir.resolve("server.crt");
    }

    public Path serverKey() {
        return dir.resolve("server.key");
    }

    /** Issues the device's client certificate; returns {certificate, key}. */
    public Path[] device(String namespace, String name) throws IOException, InterruptedException {
        run("device", dir.toString(), namespace, name);
        Path base = dir.resolve("devices").resolve(namespace);
        return new Path[] {base.resolve(name + ".crt"), base.resolve(name + ".key")};
    }

    private void run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("aranya.repo.dir"), "scripts/device-pki.sh").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(command + " failed: " + output);
        }
    }
}
