package dev.aranya.certs.internal;

import dev.aranya.api.host.HostAddresses.HostIdentity;
import dev.aranya.api.model.NodeSpec.NodeCertSpec;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.util.IPAddress;

/**
 * What a Node's serving certificate must say: {@code CN=system:node:<node>}, {@code O=system:nodes}, the subject
 * fields of the device's {@code spec.node.cert}, and the Aranya host's hostname and addresses as SANs (the
 * apiserver reaches the Node's kubelet endpoint there).
 *
 * @param nodeName    the Node's name
 * @param dnsNames    DNS SANs (lower case)
 * @param ipAddresses IP SANs
 */
record NodeIdentity(String nodeName, NodeCertSpec subjectFields, List<String> dnsNames, List<InetAddress> ipAddresses) {
    static final String NODE_PREFIX = "system:node:";
    /** The only organisation the kubernetes.io/kubelet-serving signer accepts. */
    static final String NODES_GROUP = "system:nodes";

    private static final List<ASN1ObjectIdentifier> SUBJECT_ATTRIBUTES =
            List.of(BCStyle.C, BCStyle.ST, BCStyle.L, BCStyle.O, BCStyle.OU, BCStyle.CN);

    NodeIdentity {
        Objects.requireNonNull(nodeName, "nodeName");
        subjectFields = subjectFields == null ? new NodeCertSpec(null, null, null, null, null) : subjectFields;
        dnsNames = List.copyOf(dnsNames);
        ipAddresses = List.copyOf(ipAddresses);
        if (dnsNames.isEmpty() && ipAddresses.isEmpty()) {
            throw new IllegalArgumentException("a serving certificate needs at least one DNS name or IP address");
        }
    }

    /** The identity for a Node served from the given host; a hostname that is an IP literal becomes an IP SAN. */
    static NodeIdentity of(String nodeName, NodeCertSpec subjectFields, HostIdentity host) {
        Set<String> dns = new LinkedHashSet<>();
        Set<InetAddress> ips = new LinkedHashSet<>();
        host.addresses().forEach(address -> ips.add(bare(address)));
        if (IPAddress.isValid(host.hostname())) {
            ips.add(literal(host.hostname()));
        } else {
            dns.add(host.hostname().toLowerCase(Locale.ROOT));
        }
        return new NodeIdentity(nodeName, subjectFields, List.copyOf(dns), List.copyOf(ips));
    }

    /**
     * The subject. {@code spec.node.cert.org} is not in it: the kubelet-serving signer refuses any organisation
     * besides {@value #NODES_GROUP}.
     */
    X500Name subject() {
        X500NameBuilder builder = new X500NameBuilder(BCStyle.INSTANCE);
        addIfSet(builder, BCStyle.C, subjectFields.country());
        addIfSet(builder, BCStyle.ST, subjectFields.state());
        addIfSet(builder, BCStyle.L, subjectFields.locality());
        builder.addRDN(BCStyle.O, NODES_GROUP);
        addIfSet(builder, BCStyle.OU, subjectFields.orgUnit());
        builder.addRDN(BCStyle.CN, NODE_PREFIX + nodeName);
        return builder.build();
    }

    GeneralNames subjectAlternativeNames() {
        List<GeneralName> names = new ArrayList<>();
        dnsNames.forEach(name -> names.add(new GeneralName(GeneralName.dNSName, name)));
        ipAddresses.forEach(address -> names.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(address.getAddress()))));
        return new GeneralNames(names.toArray(GeneralName[]::new));
    }

    /** @return why the certificate does not serve this identity (subject or SANs differ), or empty when it does */
    Optional<String> mismatch(X509Certificate certificate) {
        X500Name actual = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
        X500Name expected = subject();
        for (ASN1ObjectIdentifier attribute : SUBJECT_ATTRIBUTES) {
            if (!values(actual, attribute).equals(values(expected, attribute))) {
                return Optional.of("subject " + actual + " is not " + expected);
            }
        }
        Set<String> dns = new LinkedHashSet<>();
        Set<InetAddress> ips = new LinkedHashSet<>();
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            for (List<?> san : sans == null ? List.<List<?>>of() : sans) {
                int type = (Integer) san.get(0);
                if (type == GeneralName.dNSName) {
                    dns.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                } else if (type == GeneralName.iPAddress) {
                    ips.add(literal((String) san.get(1)));
                }
            }
        } catch (CertificateParsingException e) {
            return Optional.of("its subject alternative names do not parse");
        }
        if (!dns.equals(Set.copyOf(dnsNames)) || !ips.equals(Set.copyOf(ipAddresses))) {
            return Optional.of("SANs " + describe(dns, ips) + " are not the host's " + sans());
        }
        return Optional.empty();
    }

    /** The SANs as text: DNS names, then addresses, each sorted. */
    List<String> sans() {
        return describe(dnsNames, ipAddresses);
    }

    private static List<String> describe(Collection<String> dns, Collection<InetAddress> ips) {
        List<String> names = new ArrayList<>(dns.stream().sorted().toList());
        ips.stream().map(InetAddress::getHostAddress).sorted().forEach(names::add);
        return names;
    }

    private static List<String> values(X500Name name, ASN1ObjectIdentifier attribute) {
        List<String> values = new ArrayList<>();
        for (RDN rdn : name.getRDNs(attribute)) {
            values.add(IETFUtils.valueToString(rdn.getFirst().getValue()));
        }
        values.sort(null);
        return values;
    }

    private static void addIfSet(X500NameBuilder builder, ASN1ObjectIdentifier attribute, String value) {
        if (value != null && !value.isBlank()) {
            builder.addRDN(attribute, value);
        }
    }

    /** The address alone: no hostname, no IPv6 scope (neither is in a certificate). */
    private static InetAddress bare(InetAddress address) {
        try {
            return InetAddress.getByAddress(address.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + address, e);
        }
    }

    /** An IP literal as an address, without a name lookup. */
    private static InetAddress literal(String ip) {
        try {
            return bare(InetAddress.getByName(ip));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + ip, e);
        }
    }
}
