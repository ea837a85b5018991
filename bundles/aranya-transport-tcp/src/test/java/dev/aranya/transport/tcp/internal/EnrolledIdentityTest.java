package dev.aranya.transport.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A renewal interrupted at any point leaves a key and certificate that belong together. */
class EnrolledIdentityTest {
    @TempDir
    Path data;
    EnrolledIdentity identity;
    Path folder;

    @BeforeEach
    void enrolled() throws Exception {
        identity = new EnrolledIdentity(data);
        folder = data.resolve(EnrolledIdentity.FOLDER);
        Files.createDirectories(folder);
        Files.writeString(identity.key(), "old key");
        Files.writeString(identity.certificate(), "old certificate");
    }

    @Test
    void onlyTheNewKeyWrittenKeepsTheOldPair() throws Exception {
        Files.writeString(folder.resolve("tls.key.new"), "new key");

        identity.recover();

        assertThat(identity.key()).hasContent("old key");
        assertThat(identity.certificate()).hasContent("old certificate");
        assertThat(folder.resolve("tls.key.new")).doesNotExist();
    }

    @Test
    void bothNewFilesWrittenFinishTheReplacement() throws Exception {
        Files.writeString(folder.resolve("tls.key.new"), "new key");
        Files.writeString(folder.resolve("tls.crt.new"), "new certificate");

        identity.recover();

        assertThat(identity.key()).hasContent("new key");
        assertThat(identity.certificate()).hasContent("new certificate");
        assertThat(folder).isDirectoryNotContaining("glob:**.new");
    }

    @Test
    void theNewKeyInPlaceAndTheNewCertificateBesideItFinishTheReplacement() throws Exception {
        Files.writeString(identity.key(), "new key");
        Files.writeString(folder.resolve("tls.crt.new"), "new certificate");

        identity.recover();

        assertThat(identity.key()).hasContent("new key");
        assertThat(identity.certificate()).hasContent("new certificate");
    }

    @Test
    void nothingHalfDoneChangesNothing() throws Exception {
        identity.recover();

        assertThat(identity.key()).hasContent("old key");
        assertThat(identity.certificate()).hasContent("old certificate");
    }
}
