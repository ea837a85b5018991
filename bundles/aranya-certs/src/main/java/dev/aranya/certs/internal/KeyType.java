package dev.aranya.certs.internal;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.Locale;

/** The key types a serving certificate can have: those the kubelet-serving signer and Go's TLS accept. */
enum KeyType {
    /** ECDSA on P-256, the kubelet's own default. */
    ECDSA("SHA256withECDSA"),
    RSA("SHA256withRSA");

    /** Smallest RSA modulus accepted. */
    static final int MIN_RSA_BITS = 2048;

    private static final ECParameterSpec P256 = p256();

    private final String signatureAlgorithm;

    KeyType(String signatureAlgorithm) {
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /** The signature algorithm a key of this type signs with (the CSR, or certificates of a CA with such a key). */
    String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    KeyPair generate(int rsaBits) {
        try {
            if (this == ECDSA) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"));
                return generator.generateKeyPair();
            }
            if (rsaBits < MIN_RSA_BITS) {
                throw new IllegalArgumentException("RSA keys need at least " + MIN_RSA_BITS + " bits, not " + rsaBits);
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(rsaBits);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime cannot make " + this + " keys", e);
        }
    }

    /** @return the type of the key, or null for a key of another type (DSA, Ed25519, EC on another curve) */
    static KeyType of(PublicKey key) {
        if (key instanceof ECPublicKey ec && ec.getParams().getCurve().equals(P256.getCurve())
                && ec.getParams().getGenerator().equals(P256.getGenerator())) {
            return ECDSA;
        }
        return key instanceof RSAPublicKey ? RSA : null;
    }

    private static ECParameterSpec p256() {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec("secp256r1"));
            return parameters.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime knows no P-256 curve", e);
        }
    }

    /** Parses a configuration value ("ECDSA", "EC", "RSA"; any case). */
    static KeyType parse(String value) {
        String name = value == null ? "" : value.trim().toUpperCase(Locale.ROOT);
        return switch (name) {
            case "ECDSA", "EC" -> ECDSA;
            case "RSA" -> RSA;
            default -> throw new IllegalArgumentException("unknown key type '" + value + "': use ECDSA or RSA");
        };
    }
}
