#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for Aranya's tests: etcd, kube-apiserver and
# kube-controller-manager, the last two built from Debian's `kubernetes` source package.
#
#   controlplane.sh install            apt packages and the deb-src entry (idempotent; needs root)
#   controlplane.sh build              build the binaries once, cached under ~/.cache/aranya/kube/<version>
#   controlplane.sh start  [STATE_DIR] start (or reuse the running one); writes STATE_DIR/kubeconfig and env
#   controlplane.sh stop   [STATE_DIR] stop exactly the processes recorded in STATE_DIR (--purge: delete it too)
#   controlplane.sh status [STATE_DIR] exit 0 when running and healthy
#
# STATE_DIR defaults to ~/.cache/aranya/controlplane. See docs/controlplane.md.
set -euo pipefail

CACHE="${ARANYA_CACHE:-$HOME/.cache/aranya}"
DEFAULT_STATE="$CACHE/controlplane"
PACKAGES=(etcd-server golang-go dpkg-dev rsync make openssl curl
          golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev)

log() { printf '[controlplane] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

source_version() {
  apt-cache showsrc kubernetes 2>/dev/null | awk '/^Version:/ {print $2; exit}'
}

bin_dir() {
  local version
  version=$(source_version)
  [ -n "$version" ] || die "no source package 'kubernetes' known to apt: run '$0 install' first"
  printf '%s/kube/%s/bin' "$CACHE" "$version"
}

cmd_install() {
  local added=0 missing=()
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    # the same mirror and suites as the binary packages, for `apt-get source kubernetes`
    cat > /etc/apt/sources.list.d/aranya-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    added=1
  fi
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "$added" = 1 ] || [ ${#missing[@]} -gt 0 ] || [ -z "$(source_version)" ]; then
    log "apt-get update"
    apt-get update -qq
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

cmd_build() {
  local out version work started
  out=$(bin_dir)
  if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ]; then
    return 0
  fi
  version=$(source_version)
  started=$(date +%s)
  log "building kube-apiserver and kube-controller-manager $version from Debian's source (about 5-10 minutes)"
  work="$CACHE/kube/build"
  rm -rf "$work" && mkdir -p "$work"
  (cd "$work" && apt-get source -qq --download-only "kubernetes=$version" >/dev/null && dpkg-source -x --skip-patches ./*.dsc src >/dev/null)
  local tree="$work/src"
  # Go 1.18+ breaks the vendored reflect2 1.0.1 (the apiserver crashes on pretty-printed JSON): use Debian's
  # reflect2 1.0.2 and the json-iterator that goes with it
  rm -rf "$tree/vendor/github.com/modern-go/reflect2" "$tree/vendor/github.com/json-iterator/go"
  cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$tree/vendor/github.com/modern-go/reflect2"
  cp -r /usr/share/gocode/src/github.com/json-iterator/go "$tree/vendor/github.com/json-iterator/go"
  # (only the sources: -mod=vendor does not check vendored file contents, and the module metadata stays as shipped)
  mkdir -p "$out" "$tree/.go/src/k8s.io"
  ln -sfn ../../.. "$tree/.go/src/k8s.io/kubernetes"
  # upstream's build, as Debian's package runs it: GOPATH mode over the vendor tree, no network
  (cd "$tree" && env GOPATH="$tree/.go" GOFLAGS= GOPROXY=off CGO_ENABLED=0 HOME="$work" \
     KUBE_GIT_VERSION=v1.20.2 KUBE_GIT_TREE_STATE=clean KUBE_GIT_COMMIT=debian-kubernetes-1.20.2 \
     make WHAT="cmd/kube-apiserver cmd/kube-controller-manager") \
     > "$work.log" 2>&1 || { tail -40 "$work.log" >&2; die "build failed (log: $work.log)"; }
  cp "$tree/_output/bin/kube-apiserver" "$tree/_output/bin/kube-controller-manager" "$out/"
  rm -rf "$work"
  log "built in $(( $(date +%s) - started )) s: $out"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# pid_alive NAME DIR: the recorded process still runs and is the expected binary
pid_alive() {
  local pidfile="$2/$1.pid" pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "$1"
}

healthy() {
  local dir=$1
  [ -f "$dir/env" ] || return 1
  # shellcheck disable=SC1091
  . "$dir/env"
  curl -sf --max-time 3 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
    "$APISERVER_URL/healthz" >/dev/null
}

cmd_status() {
  local dir=${1:-$DEFAULT_STATE}
  if pid_alive etcd "$dir" && pid_alive kube-apiserver "$dir" && pid_alive kube-controller-manager "$dir" && healthy "$dir"; then
    echo "running: KUBECONFIG=$dir/kubeconfig"
    return 0
  fi
  echo "not running"
  return 1
}

cert() { # cert NAME SUBJECT [SAN]  -> signed by the cluster CA
  local name=$1 subject=$2 san=${3:-} pki=$4
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
  local ext="$pki/$name.ext"
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ -n "$san" ]; then echo "extendedKeyUsage=serverAuth"; echo "subjectAltName=$san"; else echo "extendedKeyUsage=clientAuth"; fi
  } > "$ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
    -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$ext"
}

make_pki() {
  local pki=$1
  [ -f "$pki/ca.crt" ] && return 0
  mkdir -p "$pki" && chmod 700 "$pki"
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -subj "/CN=aranya-test-cluster-ca" \
    -days 3650 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$pki/ca.crt" 2>/dev/null
  cert apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:::1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc" "$pki"
  cert admin "/O=system:masters/CN=aranya-test-admin" "" "$pki"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "" "$pki"
  cert controller-manager "/CN=system:kube-controller-manager" "" "$pki"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

kubeconfig() { # kubeconfig FILE URL CA CERT KEY
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: aranya-test
  cluster:
    server: $2
    certificate-authority-data: $(base64 -w0 < "$3")
users:
- name: user
  user:
    client-certificate-data: $(base64 -w0 < "$4")
    client-key-data: $(base64 -w0 < "$5")
contexts:
- name: aranya-test
  context: {cluster: aranya-test, user: user, namespace: default}
current-context: aranya-test
KC
  chmod 600 "$1"
}

launch() { # launch NAME DIR BINARY ARGS...: detached, so it outlives the caller
  local name=$1 dir=$2; shift 2
  setsid nohup "$@" > "$dir/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/$name.pid"
}

wait_for() { # wait_for WHAT SECONDS COMMAND...
  local what=$1 seconds=$2; shift 2
  for _ in $(seq 1 $((seconds * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

cmd_start() {
  local dir=${1:-$DEFAULT_STATE} bins started
  if cmd_status "$dir" >/dev/null; then
    log "reusing the running control plane in $dir"
    echo "$dir/kubeconfig"
    return 0
  fi
  cmd_stop "$dir" >/dev/null 2>&1 || true
  bins=$(bin_dir)
  [ -x "$bins/kube-apiserver" ] || die "no kube-apiserver in $bins: run '$0 build' first"
  command -v etcd >/dev/null || die "no etcd: run '$0 install' first"
  started=$(date +%s)
  mkdir -p "$dir/logs"
  rm -rf "$dir/etcd"
  local pki="$dir/pki"
  make_pki "$pki"
  local etcd_port etcd_peer api_port
  etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port)
  launch etcd "$dir" etcd --name aranya-test --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "aranya-test=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync
  wait_for etcd 30 curl -sf "http://127.0.0.1:$etcd_port/health" || { tail -20 "$dir/logs/etcd.log" >&2; die "etcd did not come up"; }

  local kubelet_ca=(--kubelet-certificate-authority="$pki/ca.crt")
  [ "${ARANYA_CP_KUBELET_CA:-}" = none ] && kubelet_ca=()
  launch kube-apiserver "$dir" "$bins/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" --insecure-port=0 \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --authorization-mode=Node,RBAC \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname "${kubelet_ca[@]}" \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 --allow-privileged=true \
    --enable-admission-plugins=NamespaceLifecycle,ServiceAccount,NodeRestriction
  local url="https://127.0.0.1:$api_port"
  cat > "$dir/env" <<ENV
KUBECONFIG=$dir/kubeconfig
APISERVER_URL=$url
APISERVER_PORT=$api_port
ETCD_URL=http://127.0.0.1:$etcd_port
CA_CERT=$pki/ca.crt
ENV
  kubeconfig "$dir/kubeconfig" "$url" "$pki/ca.crt" "$pki/admin.crt" "$pki/admin.key"
  kubeconfig "$dir/controller-manager.kubeconfig" "$url" "$pki/ca.crt" "$pki/controller-manager.crt" "$pki/controller-manager.key"
  wait_for apiserver 90 healthy "$dir" || { tail -30 "$dir/logs/kube-apiserver.log" >&2; die "kube-apiserver did not become healthy"; }

  launch kube-controller-manager "$dir" "$bins/kube-controller-manager" \
    --kubeconfig="$dir/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$dir/controller-manager.kubeconfig" --authorization-kubeconfig="$dir/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=0 --port=0 --leader-elect=false \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" --use-service-account-credentials=true \
    --controllers='*'
  sleep 1
  pid_alive kube-controller-manager "$dir" || { tail -30 "$dir/logs/kube-controller-manager.log" >&2; die "kube-controller-manager exited"; }
  # the default namespace and the service account controller are what tests need first
  wait_for "default service account" 60 kubectl --kubeconfig "$dir/kubeconfig" get serviceaccount default -n default \
    || log "warning: no default service account yet"
  log "control plane up in $(( $(date +%s) - started )) s: KUBECONFIG=$dir/kubeconfig"
  echo "$dir/kubeconfig"
}

cmd_stop() {
  local dir=${1:-$DEFAULT_STATE} purge=${2:-} name pid
  for name in kube-controller-manager kube-apiserver etcd; do
    if pid_alive "$name" "$dir"; then
      pid=$(cat "$dir/$name.pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
      [ -d "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/$name.pid"
  done
  [ "$purge" = --purge ] && rm -rf "$dir"
  log "stopped"
}

case "${1:-}" in
  install) cmd_install ;;
  build) cmd_build ;;
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-$DEFAULT_STATE}" "${3:-}" ;;
  status) cmd_status "${2:-}" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
