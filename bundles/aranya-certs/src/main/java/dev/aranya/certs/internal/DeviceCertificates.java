package dev.aranya.certs.internal;

import dev.aranya.api.transport.DeviceId;
import dev.aranya.api.certs.DeviceIdentities.DeviceIdentityException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * What a device's client certificate says: the subject {@code O=<namespace>, CN=<device>} that every mutual-TLS
 * transport reads (also for certificates of an operator's own PKI), and the URI SAN
 * {@code urn:aranya:device:<namespace>:<device>} that {@link #deviceOf} reads (Kubernetes names hold no colon).
 */
final class DeviceCertificates {
    static final String URI_PREFIX = "urn:aranya:device:";

    private DeviceCertificates() {
    }

    static X509Certificate issue(CertificateAuthority ca, DeviceId device, PublicKey key, Duration validity) throws DeviceIdentityException {
        KeyType type = KeyType.of(key);
        if (type == null) {
            throw new DeviceIdentityException("device keys are ECDSA P-256 or RSA, not " + key.getAlgorithm());
        }
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < KeyType.MIN_RSA_BITS) {
            throw new DeviceIdentityException("device RSA keys need at least " + KeyType.MIN_RSA_BITS + " bits, not " + rsa.getModulus().bitLength());
        }
        return ca.issue(new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, device.namespace()).addRDN(BCStyle.CN, device.name()).build(),
                new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri(device))), key, validity,
                KeyPurposeId.id_kp_clientAuth);
    }

    /**
     * The public key of a PKCS#10 request whose signature it verifies (so the requester holds the private key). The
     * request's subject and attributes are not used: the certificate names the device the token was for.
     */
    static PublicKey requestedKey(byte[] certificationRequest) throws DeviceIdentityException {
        try {
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(certificationRequest);
            // the JDK's key factories, by name: BouncyCastle's lookup by OID finds none without its provider
            ASN1ObjectIdentifier algorithm = request.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm();
            String keyAlgorithm = X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm) ? "EC"
                    : PKCSObjectIdentifiers.rsaEncryption.equals(algorithm) ? "RSA" : null;
            if (keyAlgorithm == null) {
                throw new DeviceIdentityException("device keys are ECDSA P-256 or RSA, not " + algorithm);
            }
            PublicKey key = KeyFactory.getInstance(keyAlgorithm)
                    .generatePublic(new X509EncodedKeySpec(request.getSubjectPublicKeyInfo().getEncoded()));
            if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                throw new DeviceIdentityException("the certification request's signature does not match its key");
            }
            return key;
        } catch (IOException | IllegalArgumentException | ClassCastException e) {
            throw new DeviceIdentityException("the certification request is not DER PKCS#10: " + e.getMessage());
        } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
            throw new DeviceIdentityException("the certification request's key or signature is unusable: " + e.getMessage());
        }
    }

    static String uri(DeviceId device) {
        return URI_PREFIX + device.namespace() + ":" + device.name();
    }

    /** @return the device the certificate names, or empty when it names none */
    static Optional<DeviceId> deviceOf(X509Certificate certificate) {
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            for (List<?> san : sans == null ? List.<List<?>>of() : sans) {
                if ((Integer) san.get(0) == GeneralName.uniformResourceIdentifier && san.get(1) instanceof String uri
                        && uri.startsWith(URI_PREFIX)) {
                    String[] parts = uri.substring(URI_PREFIX.length()).split(":");
                    if (parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty()) {
                        return Optional.of(new DeviceId(parts[0], parts[1]));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
