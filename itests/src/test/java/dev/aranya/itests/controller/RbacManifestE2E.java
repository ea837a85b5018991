package dev.aranya.itests.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aranya.itests.support.ControlPlane;
import dev.aranya.itests.support.ControlPlaneExtension;
import dev.aranya.itests.support.ControlPlaneExtension.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * runtime/src/main/kubernetes/rbac.yaml on the real apiserver: accepted as it is, and, applied for a test namespace, it grants
 * Aranya's service account what the controller, the certificates and the kubelet endpoints do, and nothing broader.
 */
@ExtendWith(ControlPlaneExtension.class)
class RbacManifestE2E {
    private static final Path RBAC = Path.of(System.getProperty("aranya.repo.dir", "."), "runtime/src/main/kubernetes/rbac.yaml");

    @Test
    void manifestIsAcceptedByTheApiserver(ControlPlane controlPlane, TestNamespace namespace) throws Exception {
        ControlPlane.Result applied = controlPlane.kubectl(forNamespace(namespace.name()), "apply", "--dry-run=server", "-f", "-");

        assertThat(applied.exitCode()).as(applied.stderr()).isZero();
        // "unchanged" where another test of this class applied it already
        String accepted = " (created|unchanged) \\(server dry run\\)";
        assertThat(applied.stdout()).containsPattern("serviceaccount/aranya" + accepted)
                .containsPattern("clusterrole.rbac.authorization.k8s.io/aranya-" + namespace.name() + accepted)
                .containsPattern("clusterrolebinding.rbac.authorization.k8s.io/aranya-" + namespace.name() + accepted)
                .containsPattern("role.rbac.authorization.k8s.io/aranya" + accepted)
                .containsPattern("rolebinding.rbac.authorization.k8s.io/aranya" + accepted)
                .containsPattern("role.rbac.authorization.k8s.io/aranya-" + namespace.name() + accepted);
    }

    /** {@code resource#subresource}, {@code resource/name}; where: the served namespace, a namespace, or cluster-wide. */
    @ParameterizedTest(name = "{0} {1} in {2}: {3}")
    @CsvSource(delimiter = '|', textBlock = """
            create | edgedevices.aranya.arhat.dev            | SERVED | no
            update | edgedevices.aranya.arhat.dev#status     | SERVED | yes
            update | edgedevices.aranya.arhat.dev#finalizers | SERVED | yes
            delete | edgedevices.aranya.arhat.dev            | SERVED | no
            create | pods                                    | SERVED | yes
            update | pods#status                             | SERVED | yes
            create | pods                                    | default | no
            create | pods#exec                               | SERVED | no
            update | leases.coordination.k8s.io/aranya-leader | SERVED | yes
            update | leases.coordination.k8s.io/other        | SERVED | no
            update | leases.coordination.k8s.io              | kube-node-lease | yes
            create | events                                  | SERVED | yes
            update | nodes#status                            | CLUSTER | yes
            delete | nodes                                   | CLUSTER | yes
            delete | namespaces                              | CLUSTER | no
            create | tokenreviews.authentication.k8s.io      | CLUSTER | yes
            create | subjectaccessreviews.authorization.k8s.io | CLUSTER | yes
            get    | configmaps/extension-apiserver-authentication | kube-system | yes
            get    | configmaps/other                        | kube-system | no
            get    | secrets                                 | default | no
            """)
    void serviceAccountMayDoWhatAranyaDoesAndNoMore(String verb, String resource, String where, String expected,
                                                    ControlPlane controlPlane, TestNamespace namespace) throws Exception {
        String ns = namespace.name();
        ControlPlane.Result applied = controlPlane.kubectl(forNamespace(ns), "apply", "-f", "-");
        assertThat(applied.exitCode()).as(applied.stderr()).isZero();
        try {
            String[] subresource = resource.split("#");
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("auth", "can-i", verb, subresource[0],
                    "--as=system:serviceaccount:" + ns + ":aranya"));
            if (subresource.length > 1) {
                args.add("--subresource=" + subresource[1]);
            }
            if (!"CLUSTER".equals(where)) {
                args.add("--namespace=" + ("SERVED".equals(where) ? ns : where));
            }
            ControlPlane.Result canI = controlPlane.kubectl(null, args.toArray(String[]::new));
            assertThat(canI.stdout().trim()).as("can-i %s %s %s", verb, resource, where).isEqualTo(expected);
        } finally {
            controlPlane.kubectl(null, "delete", "clusterrole,clusterrolebinding", "aranya-" + ns, "--ignore-not-found");
            controlPlane.kubectl(null, "delete", "role,rolebinding", "-n", "kube-node-lease", "aranya-" + ns, "--ignore-not-found");
            controlPlane.kubectl(null, "delete", "rolebinding", "-n", "kube-system", "aranya-" + ns, "--ignore-not-found");
        }
    }

    /** The manifest for a test namespace; cluster-scoped objects and those in kube-node-lease and kube-system get its name too. */
    private static String forNamespace(String namespace) throws Exception {
        return Files.readString(RBAC)
                .replace("namespace: aranya\n", "namespace: " + namespace + "\n")
                .replace("name: aranya-aranya\n", "name: aranya-" + namespace + "\n")
                .replaceAll("(?m)^(kind: Cluster\\w+\\nmetadata:\\n  name: )aranya$", "$1aranya-" + namespace)
                .replaceAll("(?m)^(  kind: ClusterRole\\n  name: )aranya$", "$1aranya-" + namespace);
    }
}
