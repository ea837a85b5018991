#!/usr/bin/env bash
# Builds Aranya and starts it with the Gogo console, against the cluster of $KUBECONFIG if one is given,
# otherwise against a local control plane (etcd + kube-apiserver + kube-controller-manager on loopback) that
# this script starts and stops again on exit. Type 'lb' for the bundles, 'exit 0' (or Ctrl-D) to stop.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

mvn -B -ntp -q install -DskipTests
dist="$repo/runtime/target/aranya"

started_cp=""
if [ -z "${KUBECONFIG:-}" ]; then
  [ "$(id -u)" = 0 ] && bash itests/controlplane/controlplane.sh install
  bash itests/controlplane/controlplane.sh build
  if ! bash itests/controlplane/controlplane.sh status >/dev/null; then
    started_cp=yes
  fi
  KUBECONFIG=$(bash itests/controlplane/controlplane.sh start | tail -1)
  export KUBECONFIG
fi
stop_cp() { [ -n "$started_cp" ] && bash itests/controlplane/controlplane.sh stop || true; }
trap stop_cp EXIT

namespace="${ARANYA_NAMESPACE:-aranya-local}"
kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace"
kubectl apply -f docs/crds/edgedevices.aranya.arhat.dev.yaml
cat > "$dist/etc/dev.aranya.kube.cfg" <<CFG
# written by scripts/run-local.sh
kubeconfig=$KUBECONFIG
namespace=$namespace
CFG

cat <<MSG

Aranya is starting against $(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}') (namespace $namespace).
In another terminal:   export KUBECONFIG=$KUBECONFIG
                       kubectl get crd edgedevices.aranya.arhat.dev
                       kubectl -n $namespace get edgedevices
Gogo console below:    lb    help    exit 0 (or Ctrl-D) stops Aranya
MSG
"$dist/bin/aranya" console
