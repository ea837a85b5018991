package dev.aranya.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aranya.api.host.HostAddresses.HostIdentity;
import dev.aranya.api.model.NodeSpec.NodeCertSpec;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

class CertificationRequestsTest {
    private static final HostIdentity HOST = host("Edge-Host.example", "192.0.2.10", "2001:db8::7");

    static HostIdentity host(String hostname, String... ips) {
        return new HostIdentity(hostname, Arrays.stream(ips).map(CertificationRequestsTest::ip).toList());
    }

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void requestCarriesTheNodeSubjectAndTheHostsNamesAndAddresses() throws Exception {
        NodeIdentity identity = NodeIdentity.of("pi-1", new NodeCertSpec("DE", "Berlin", "Mitte", "acme", "edge"), HOST);
        KeyPair keys = KeyType.ECDSA.generate(0);

        JcaPKCS10CertificationRequest request = new JcaPKCS10CertificationRequest(reparse(CertificationRequests.create(identity, keys)));

        assertThat(request.getSubject().toString()).isEqualTo("C=DE,ST=Berlin,L=Mitte,O=system:nodes,OU=edge,CN=system:node:pi-1");
        assertThat(request.getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(keys.getPublic()))).isTrue();
        assertThat(sans(request)).containsExactly("dns:edge-host.example", "ip:192.0.2.10", "ip:2001:db8:0:0:0:0:0:7");
    }

    @Test
    void organisationOfTheSpecIsLeftOutBecauseTheSignerAcceptsOnlySystemNodes() throws Exception {
        NodeIdentity identity = NodeIdentity.of("pi-2", new NodeCertSpec(null, null, null, "acme", null), HOST);

        PKCS10CertificationRequest request = CertificationRequests.create(identity, KeyType.ECDSA.generate(0));

        assertThat(request.getSubject().toString()).isEqualTo("O=system:nodes,CN=system:node:pi-2");
    }

    @Test
    void keyTypesAreEcdsaP256AndRsa() throws Exception {
        KeyPair ec = KeyType.ECDSA.generate(0);
        KeyPair rsa = KeyType.RSA.generate(2048);

        assertThat(((ECPublicKey) ec.getPublic()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
        assertThat(((RSAPublicKey) rsa.getPublic()).getModulus().bitLength()).isEqualTo(2048);
        assertThat(KeyType.of(ec.getPublic())).isEqualTo(KeyType.ECDSA);
        assertThat(KeyType.of(rsa.getPublic())).isEqualTo(KeyType.RSA);
        NodeIdentity identity = NodeIdentity.of("pi-3", null, HOST);
        assertThat(new JcaPKCS10CertificationRequest(CertificationRequests.create(identity, rsa)).getPublicKey()).isEqualTo(rsa.getPublic());
    }

    @Test
    void otherKeysAreRefusedWithTheirName() throws Exception {
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));

        assertThat(KeyType.of(p384.generateKeyPair().getPublic())).isNull();
        assertThatThrownBy(() -> CertificationRequests.create(NodeIdentity.of("pi-4", null, HOST), p384.generateKeyPair()))
                .hasMessage("serving keys are ECDSA P-256 or RSA, not EC");
        assertThatThrownBy(() -> KeyType.RSA.generate(1024)).hasMessageContaining("at least 2048 bits");
        assertThatThrownBy(() -> KeyType.parse("DSA")).hasMessage("unknown key type 'DSA': use ECDSA or RSA");
        assertThat(KeyType.parse(" rsa ")).isEqualTo(KeyType.RSA);
    }

    @Test
    void hostnameThatIsAnAddressBecomesAnIpSan() throws Exception {
        NodeIdentity identity = NodeIdentity.of("pi-5", null, host("10.1.2.3", "10.1.2.3", "10.9.9.9"));

        assertThat(sans(new JcaPKCS10CertificationRequest(CertificationRequests.create(identity, KeyType.ECDSA.generate(0)))))
                .containsExactly("ip:10.1.2.3", "ip:10.9.9.9");
    }

    /** The request as the signer sees it: PEM text parsed back. */
    private static PKCS10CertificationRequest reparse(PKCS10CertificationRequest request) throws Exception {
        try (PEMParser parser = new PEMParser(new StringReader(Pem.encode(request)))) {
            return (PKCS10CertificationRequest) parser.readObject();
        }
    }

    static List<String> sans(PKCS10CertificationRequest request) throws Exception {
        Extensions extensions = Extensions.getInstance(request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)[0]
                .getAttrValues().getObjectAt(0));
        List<String> sans = new ArrayList<>();
        for (GeneralName name : GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName).getNames()) {
            sans.add(name.getTagNo() == GeneralName.iPAddress
                    ? "ip:" + InetAddress.getByAddress(ASN1OctetString.getInstance(name.getName()).getOctets()).getHostAddress()
                    : "dns:" + name.getName());
        }
        return sans;
    }
}
