package dev.aranya.certs.internal;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.client.KubernetesClient;

/** The three calls Aranya makes on {@code certificates.k8s.io/v1} CertificateSigningRequests. */
interface CsrApi {
    /** @return the created object (its generated name filled in) */
    CertificateSigningRequest create(CertificateSigningRequest request);

    /** Adds the condition through the {@code approval} subresource. */
    void approve(String name, CertificateSigningRequestCondition approval);

    /** @return the request, or null when there is none of that name */
    CertificateSigningRequest get(String name);

    static CsrApi of(KubernetesClient client) {
        return new CsrApi() {
            @Override
            public CertificateSigningRequest create(CertificateSigningRequest request) {
                return client.certificates().v1().certificateSigningRequests().resource(request).create();
            }

            @Override
            public void approve(String name, CertificateSigningRequestCondition approval) {
                client.certificates().v1().certificateSigningRequests().withName(name).approve(approval);
            }

            @Override
            public CertificateSigningRequest get(String name) {
                return client.certificates().v1().certificateSigningRequests().withName(name).get();
            }
        };
    }
}
