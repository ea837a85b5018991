package dev.aranya.certs.internal;

import java.time.Duration;

/**
 * The configuration, checked and in the units the code uses.
 *
 * @param renewAtPercent    share of a certificate's lifetime after which it is replaced
 * @param retry             first wait before retrying a failed renewal; doubles up to {@link #MAX_RETRY}
 * @param ownCaSecret       Secret of Aranya's own CA, used only when {@code fallbackToOwnCa}
 */
record Settings(KeyType keyType, int rsaKeyBits, ClusterSigner.Settings cluster, int renewAtPercent, Duration retry,
                boolean fallbackToOwnCa, String ownCaSecret, Duration ownCaValidity, Duration ownCaLeafValidity) {
    static final Duration MAX_RETRY = Duration.ofMinutes(10);
    static final Duration POLL_INTERVAL = Duration.ofSeconds(1);

    Settings {
        if (keyType == KeyType.RSA && rsaKeyBits < KeyType.MIN_RSA_BITS) {
            throw new IllegalArgumentException("rsaKeyBits: RSA keys need at least " + KeyType.MIN_RSA_BITS + " bits, not " + rsaKeyBits);
        }
        if (renewAtPercent < 10 || renewAtPercent > 95) {
            throw new IllegalArgumentException("renewAtPercent must be between 10 and 95, not " + renewAtPercent);
        }
    }

    static Settings from(CertsConfig config) {
        return new Settings(KeyType.parse(config.keyType()), config.rsaKeyBits(),
                new ClusterSigner.Settings(Duration.ofSeconds(positive(config.signingTimeoutSeconds(), "signingTimeoutSeconds")),
                        POLL_INTERVAL, config.autoApprove(), Duration.ofHours(Math.max(0, config.requestedValidityHours()))),
                config.renewAtPercent(), Duration.ofSeconds(positive(config.retrySeconds(), "retrySeconds")),
                config.fallbackToOwnCa(), config.ownCaSecret(),
                Duration.ofDays(positive(config.ownCaValidityDays(), "ownCaValidityDays")),
                Duration.ofDays(positive(config.ownCaLeafValidityDays(), "ownCaLeafValidityDays")));
    }

    private static int positive(int value, String key) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive, not " + value);
        }
        return value;
    }
}
