package dev.aranya.transport.tcp.internal;

import dev.aranya.protocol.ProtocolLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The server's settings, checked: every problem is reported at once with the setting's name.
 *
 * @param clientCa the operator's device CA file; empty: the DeviceIdentities device CA (and enrolment)
 */
record TcpServerSettings(String bindAddress, int port, Path certificate, Path key, Optional<Path> clientCa, int maxFrameSize,
                         int ioThreads) {
    static final String AUTH_CLIENT_CERTIFICATE = "client-certificate";

    TcpServerSettings {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be within 0..65535, was " + port);
        }
        readable(certificate, "tlsCertificate");
        readable(key, "tlsKey");
        clientCa.ifPresent(file -> readable(file, "clientCa"));
        if (maxFrameSize < ProtocolLimits.MIN_FRAME_SIZE_LIMIT || maxFrameSize > ProtocolLimits.MAX_FRAME_SIZE_LIMIT) {
            throw new IllegalArgumentException("maxFrameSize must be within " + ProtocolLimits.MIN_FRAME_SIZE_LIMIT
                    + ".." + ProtocolLimits.MAX_FRAME_SIZE_LIMIT + ", was " + maxFrameSize);
        }
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads must be at least 1, was " + ioThreads);
        }
    }

    static TcpServerSettings of(TcpTransportConfig config) {
        if (!AUTH_CLIENT_CERTIFICATE.equals(config.auth())) {
            throw new IllegalArgumentException("auth '" + config.auth() + "' is not supported; the only mode is "
                    + AUTH_CLIENT_CERTIFICATE);
        }
        return new TcpServerSettings(config.bindAddress(), config.port(), path(config.tlsCertificate(), "tlsCertificate"),
                path(config.tlsKey(), "tlsKey"),
                Optional.ofNullable(config.clientCa()).filter(value -> !value.isBlank()).map(Path::of), config.maxFrameSize(),
                config.ioThreads());
    }

    private static Path path(String value, String setting) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(setting + " is required");
        }
        return Path.of(value);
    }

    static void readable(Path file, String setting) {
        if (file == null || !Files.isReadable(file)) {
            throw new IllegalArgumentException(setting + ": cannot read " + file);
        }
    }
}
