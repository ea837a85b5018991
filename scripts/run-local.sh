#!/usr/bin/env bash
# The main job, on one machine: builds Aranya and its agent, starts a local control plane (etcd, kube-apiserver,
# kube-controller-manager on loopback; or uses the cluster of $KUBECONFIG if one is given), Aranya, and one agent
# for the sample EdgeDevice docs/examples/edgedevice-tcp.yaml, waits for its Node to be Ready and prints the kubectl
# commands to try. Ctrl-C stops the agent, Aranya and the control plane it started.
#   ARANYA_NAMESPACE  namespace of the device (default aranya-local)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
namespace="${ARANYA_NAMESPACE:-aranya-local}"
device=edge-local
state="${XDG_CACHE_HOME:-$HOME/.cache}/aranya/local"
mkdir -p "$state"

echo "[run-local] building (mvn install -DskipTests)"
mvn -B -ntp -q install -DskipTests
aranya_dist="$repo/runtime/target/aranya"
arhat_dist="$repo/runtime/target/arhat"

pids=()
started_cp=""
cleanup() {
  trap - EXIT INT TERM
  echo
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$started_cp" ]; then bash itests/controlplane/controlplane.sh stop || true; fi
  echo "[run-local] stopped"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

if [ -z "${KUBECONFIG:-}" ]; then
  [ "$(id -u)" = 0 ] && bash itests/controlplane/controlplane.sh install
  bash itests/controlplane/controlplane.sh build
  bash itests/controlplane/controlplane.sh status >/dev/null || started_cp=yes
  KUBECONFIG=$(bash itests/controlplane/controlplane.sh start | tail -1)
  export KUBECONFIG
fi

kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace"
kubectl apply -f docs/crds/edgedevices.aranya.arhat.dev.yaml
kubectl wait --for condition=established --timeout=60s crd/edgedevices.aranya.arhat.dev >/dev/null

# mutual TLS between agent and Aranya: a device CA, Aranya's server certificate, the device's certificate
pki="$state/pki"
scripts/device-pki.sh init "$pki" >/dev/null
scripts/device-pki.sh server "$pki" "127.0.0.1,localhost" >/dev/null
scripts/device-pki.sh device "$pki" "$namespace" "$device" >/dev/null

cat > "$aranya_dist/etc/dev.aranya.kube.cfg" <<CFG
# written by scripts/run-local.sh
kubeconfig = $KUBECONFIG
namespace = $namespace
CFG
cat > "$aranya_dist/etc/dev.aranya.transport.tcp.cfg" <<CFG
# written by scripts/run-local.sh
bindAddress = 127.0.0.1
port = 10443
tlsCertificate = $pki/server.crt
tlsKey = $pki/server.key
auth = client-certificate
clientCa = $pki/ca.crt
CFG
# kubectl logs: the system journal where it has entries, else the agent's own log
log_source="file:log/arhat.log"
if command -v journalctl >/dev/null && [ -n "$(journalctl -n 1 -q 2>/dev/null)" ]; then log_source=journal; fi
sed -i -e "s|^deviceNamespace=.*|deviceNamespace=$namespace|" -e "s|^deviceName=.*|deviceName=$device|" \
  -e "s|^method=.*|method=tcp|" -e "s|^link.host=.*|link.host=127.0.0.1|" -e "s|^link.port=.*|link.port=10443|" \
  -e "s|^link.certificate=.*|link.certificate=$pki/devices/$namespace/$device.crt|" \
  -e "s|^link.key=.*|link.key=$pki/devices/$namespace/$device.key|" \
  -e "s|^link.caCertificate=.*|link.caCertificate=$pki/ca.crt|" \
  -e "s|^logSource=.*|logSource=$log_source|" "$arhat_dist/etc/dev.aranya.arhat.cfg"

echo "[run-local] starting Aranya (console: $state/aranya.out, log: $aranya_dist/log/)"
"$aranya_dist/bin/aranya" run > "$state/aranya.out" 2>&1 &
pids+=($!)
kubectl -n "$namespace" apply -f docs/examples/edgedevice-tcp.yaml
# something on the device to port-forward to: a web server on the device's loopback
mkdir -p "$state/www" && echo "hello from $device" > "$state/www/index.html"
python3 -m http.server 8080 --bind 127.0.0.1 --directory "$state/www" > "$state/www.out" 2>&1 &
pids+=($!)
echo "[run-local] starting the agent (console: $state/arhat.out, log: $arhat_dist/log/)"
"$arhat_dist/bin/arhat" run > "$state/arhat.out" 2>&1 &
pids+=($!)

echo "[run-local] waiting for Node $device to be Ready"
for _ in $(seq 1 120); do
  kubectl get node "$device" >/dev/null 2>&1 && break
  sleep 1
done
if ! kubectl wait --for condition=Ready --timeout=120s "node/$device" >/dev/null; then
  echo "[run-local] Node $device is not Ready; see $state/aranya.out and $state/arhat.out" >&2
  exit 1
fi

cat <<MSG

Aranya is serving EdgeDevice $namespace/$device, whose agent runs on this machine as $(id -un).
In another terminal:

  export KUBECONFIG=$KUBECONFIG
  kubectl get nodes -o wide
  kubectl -n $namespace get edgedevices,pods -o wide
  kubectl -n $namespace exec -it $device -- /bin/sh
  kubectl -n $namespace exec $device -- uname -a
  kubectl -n $namespace logs --tail 20 $device
  kubectl -n $namespace port-forward pod/$device 18080:8080   # then: curl http://127.0.0.1:18080/

Ctrl-C here stops the agent, Aranya$( [ -n "$started_cp" ] && echo " and the control plane" ).
MSG
wait "${pids[0]}"
