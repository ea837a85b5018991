package dev.aranya.protocol;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Signature;
import javax.security.auth.x500.X500Principal;

/**
 * The PKCS#10 certification request of an {@code EnrolRequest} (docs/protocol.md, "Enrolment"), made with the JDK
 * alone: the agent's distribution carries no BouncyCastle, and the request is a fixed, small DER structure.
 */
public final class CertificationRequests {
    /** ecdsa-with-SHA256 (1.2.840.10045.4.3.2), no parameters. */
    private static final byte[] ECDSA_SHA256 = {0x30, 0x0a, 0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x04, 0x03, 0x02};
    /** sha256WithRSAEncryption (1.2.840.113549.1.1.11), NULL parameters. */
    private static final byte[] RSA_SHA256 = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01,
            0x01, 0x0b, 0x05, 0x00};

    private CertificationRequests() {
    }

    /**
     * A request for the key pair's public key with the subject {@code O=<namespace>, CN=<name>}, signed with its
     * private key (EC or RSA, SHA-256).
     *
     * @return DER
     */
    public static byte[] create(KeyPair keys, String namespace, String name) throws GeneralSecurityException {
        boolean ec = "EC".equals(keys.getPrivate().getAlgorithm());
        if (!ec && !"RSA".equals(keys.getPrivate().getAlgorithm())) {
            throw new GeneralSecurityException("certification requests are signed with EC or RSA keys, not " + keys.getPrivate().getAlgorithm());
        }
        byte[] subject = new X500Principal("O=" + rdnValue(namespace) + ", CN=" + rdnValue(name)).getEncoded();
        byte[] info = tlv(0x30, new byte[] {0x02, 0x01, 0x00}, subject, keys.getPublic().getEncoded(), new byte[] {(byte) 0xa0, 0x00});
        Signature signer = Signature.getInstance(ec ? "SHA256withECDSA" : "SHA256withRSA");
        signer.initSign(keys.getPrivate());
        signer.update(info);
        byte[] signature = signer.sign();
        byte[] bits = new byte[signature.length + 1]; // no unused bits
        System.arraycopy(signature, 0, bits, 1, signature.length);
        return tlv(0x30, info, ec ? ECDSA_SHA256 : RSA_SHA256, tlv(0x03, bits));
    }

    /** Kubernetes names are DNS labels and subdomains; anything else would need escaping and is refused instead. */
    private static String rdnValue(String value) throws GeneralSecurityException {
        if (value == null || !value.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
            throw new GeneralSecurityException("'" + value + "' is not a Kubernetes name");
        }
        return value;
    }

    private static byte[] tlv(int tag, byte[]... contents) {
        ByteArrayOutputStream value = new ByteArrayOutputStream();
        for (byte[] content : contents) {
            value.writeBytes(content);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int length = value.size();
        if (length < 0x80) {
            out.write(length);
        } else {
            int bytes = length > 0xffff ? 3 : length > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(value.toByteArray());
        return out.toByteArray();
    }
}
