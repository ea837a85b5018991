package dev.aranya.itests.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container images as a container runtime runs them, without one: the image tarball's manifest and config are
 * read, its layers unpacked in order into a root file system, and the entrypoint runs there under {@code chroot}
 * (in its own mount and PID namespaces, with the config's environment) with the {@code check} command.
 */
class ContainerImageE2E {
    private static final Path IMAGES = Path.of(System.getProperty("aranya.image.dir", "../runtime/image/target"));

    @TempDir
    Path work;

    @BeforeAll
    static void needsRoot() throws Exception {
        Process id = new ProcessBuilder("id", "-u").start();
        String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        id.waitFor();
        assumeThat(uid).as("unpacking an image with its owners and running it under chroot needs root").isEqualTo("0");
    }

    /** rm, not JUnit's cleanup: it warns about each of the root file system's absolute links. */
    @AfterEach
    void removeRootfs() throws Exception {
        exec(work, 120, "rm", "-rf", "--one-file-system", work.resolve("rootfs").toString());
    }

    @Test
    void aranyaImageStartsEveryBundleFromItsEntrypoint() throws Exception {
        Image image = Image.unpack(IMAGES.resolve("aranya-image.tar"), work);

        assertThat(image.config()).containsEntry("Entrypoint", List.of("/opt/aranya/bin/aranya"))
                .containsEntry("Cmd", List.of("run")).containsEntry("WorkingDir", "/opt/aranya");
        assertThat(image.repoTags()).containsExactly("aranya:" + System.getProperty("aranya.version"));
        image.assertJavaHome();

        String output = image.run("check");

        assertThat(output).containsPattern("Active\\s+dev\\.aranya\\.api\\s")
                .containsPattern("Active\\s+dev\\.aranya\\.controller\\s")
                .containsPattern("Active\\s+dev\\.aranya\\.transport\\.tcp\\s")
                .containsPattern("Active\\s+io\\.fabric8\\.kubernetes-client-all\\s")
                .containsPattern("all bundles active in \\d+ ms")
                .doesNotContain("Installed ");
    }

    @Test
    void arhatImageStartsEveryBundleFromItsEntrypoint() throws Exception {
        Image image = Image.unpack(IMAGES.resolve("arhat-image.tar"), work);

        assertThat(image.config()).containsEntry("Entrypoint", List.of("/opt/arhat/bin/arhat"))
                .containsEntry("Cmd", List.of("run"));
        assertThat(image.repoTags()).containsExactly("arhat:" + System.getProperty("aranya.version"));
        image.assertJavaHome();

        String output = image.run("check");

        assertThat(output).containsPattern("Active\\s+dev\\.aranya\\.arhat\\s")
                .containsPattern("Active\\s+dev\\.aranya\\.transport\\.tcp\\s")
                .containsPattern("Active\\s+com\\.pty4j\\s")
                .doesNotContain("Installed ");
    }

    /** An unpacked image: its root file system and the {@code config} object of its configuration. */
    private record Image(Path rootfs, Map<String, Object> config, List<String> repoTags) {

        static Image unpack(Path tarball, Path work) throws Exception {
            assertThat(tarball).as("the image tarball; the build makes it when the base image exists "
                    + "(sudo runtime/image/build-base-image.sh, then mvn install)").isRegularFile();
            Path archive = Files.createDirectories(work.resolve("archive"));
            exec(work, 120, "tar", "-xf", tarball.toString(), "-C", archive.toString());
            List<Map<String, Object>> manifest = Serialization.unmarshal(Files.readString(archive.resolve("manifest.json")), List.class);
            assertThat(manifest).as("manifest.json: one image").hasSize(1);
            Map<String, Object> image = Serialization.unmarshal(
                    Files.readString(archive.resolve((String) manifest.get(0).get("Config"))), Map.class);
            @SuppressWarnings("unchecked")
            List<String> layers = (List<String>) manifest.get(0).get("Layers");
            @SuppressWarnings("unchecked")
            List<String> diffIds = (List<String>) ((Map<String, Object>) image.get("rootfs")).get("diff_ids");
            assertThat(layers).as("a diff_id per layer").hasSameSizeAs(diffIds);

            Path rootfs = Files.createDirectories(work.resolve("rootfs"));
            for (String layer : layers) {
                applyWhiteouts(archive.resolve(layer), rootfs, work);
                // as root, tar keeps the owners and modes the layer records (-z detected by GNU tar itself)
                exec(work, 300, "tar", "-xpf", archive.resolve(layer).toString(), "-C", rootfs.toString(),
                        "--numeric-owner", "--exclude=.wh.*");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> config = (Map<String, Object>) image.get("config");
            @SuppressWarnings("unchecked")
            List<String> tags = (List<String>) manifest.get(0).get("RepoTags");
            return new Image(rootfs, config, tags);
        }

        /** A layer's whiteout entries delete what earlier layers put there (the OCI layer format). */
        private static void applyWhiteouts(Path layer, Path rootfs, Path work) throws Exception {
            for (String entry : exec(work, 120, "tar", "-tf", layer.toString()).lines().toList()) {
                Path path = Path.of(entry);
                String name = path.getFileName().toString();
                Path dir = path.getParent() == null ? rootfs : rootfs.resolve(path.getParent().toString());
                if (name.equals(".wh..wh..opq")) {
                    if (Files.isDirectory(dir)) {
                        try (Stream<Path> children = Files.list(dir)) {
                            for (Path child : children.toList()) {
                                deleteRecursively(child);
                            }
                        }
                    }
                } else if (name.startsWith(".wh.")) {
                    deleteRecursively(dir.resolve(name.substring(4)));
                }
            }
        }

        void assertJavaHome() {
            @SuppressWarnings("unchecked")
            List<String> env = (List<String>) config.get("Env");
            String javaHome = env.stream().filter(e -> e.startsWith("JAVA_HOME=")).findFirst()
                    .map(e -> e.substring("JAVA_HOME=".length())).orElseThrow(() -> new AssertionError("no JAVA_HOME in " + env));
            assertThat(rootfs.resolve(javaHome.substring(1)).resolve("bin/java")).as("JAVA_HOME's java").isExecutable();
        }

        /**
         * The entrypoint with {@code args} instead of the image's Cmd, in the working directory and with exactly the
         * environment of the config, as a container runtime starts it: chroot into the root file system, which gets
         * its own /proc (a new PID namespace) and a /dev of the usual nodes on a tmpfs, all gone with the namespace.
         */
        String run(String... args) throws Exception {
            List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--pid",
                    "--fork", "--kill-child", "sh", "-c", """
                    set -e
                    root=$1; shift
                    mount -t proc proc "$root/proc"
                    mount -t tmpfs -o mode=755,nosuid tmpfs "$root/dev"
                    for node in null:3 zero:5 full:7 random:8 urandom:9 tty:0; do
                      name=${node%:*}; minor=${node#*:}
                      if [ "$name" = tty ]; then mknod -m 666 "$root/dev/tty" c 5 0; else mknod -m 666 "$root/dev/$name" c 1 "$minor"; fi
                    done
                    ln -s /proc/self/fd "$root/dev/fd"
                    exec chroot "$root" "$@"
                    """, "sh", rootfs.toString(), "/usr/bin/env", "-i"));
            Object workingDir = config.get("WorkingDir");
            if (workingDir != null) {
                command.addAll(List.of("-C", workingDir.toString()));
            }
            @SuppressWarnings("unchecked")
            List<String> env = (List<String>) config.get("Env");
            command.addAll(env);
            @SuppressWarnings("unchecked")
            List<String> entrypoint = (List<String>) config.get("Entrypoint");
            command.addAll(entrypoint);
            command.addAll(List.of(args));

            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("finished within 180 s").isTrue();
            assertThat(process.exitValue()).as("exit status of %s; output:%n%s", String.join(" ", args), output).isZero();
            return output;
        }
    }

    private static String exec(Path dir, int seconds, String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(seconds, TimeUnit.SECONDS)).as("%s finished", command[0]).isTrue();
        assertThat(process.exitValue()).as("%s: %s", String.join(" ", command), output).isZero();
        return output;
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
