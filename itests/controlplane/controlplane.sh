#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for Aranya's tests: etcd, kube-apiserver and
# kube-controller-manager. The two Kubernetes binaries are built from Debian bookworm's `kubernetes`
# source package, because Debian's package mirror is all this kind of machine can reach.
#
#   controlplane.sh install                      apt packages and a deb-src entry (idempotent; root)
#   controlplane.sh build                        build the binaries once, cached under ~/.cache/aranya/kube/<version>/bin
#   controlplane.sh start  [STATE_DIR]           start, or reuse the running one; prints the kubeconfig path
#   controlplane.sh stop   [STATE_DIR] [--purge] stop the processes recorded in STATE_DIR (--purge: delete STATE_DIR)
#   controlplane.sh status [STATE_DIR]           exit 0 when running and healthy, 1 otherwise
#
# STATE_DIR defaults to ~/.cache/aranya/controlplane. Environment: ARANYA_CACHE (default ~/.cache/aranya),
# ARANYA_CP_TIMEOUT (seconds per component, default 120), ARANYA_CP_KUBELET_CA=none (no
# --kubelet-certificate-authority), ARANYA_CP_SIGNING_DURATION (lifetime of the certificates the cluster CA signs
# for approved CSRs, default 8760h; short ones let tests watch renewals). See docs/controlplane.md.
set -euo pipefail

CACHE="${ARANYA_CACHE:-$HOME/.cache/aranya}"
DEFAULT_STATE="$CACHE/controlplane"
TIMEOUT="${ARANYA_CP_TIMEOUT:-120}"
# what `build` and `start` need; the Go module sources replace two vendored modules (see vendor_from_debian)
PACKAGES=(etcd-server golang-go dpkg-dev rsync make openssl curl util-linux
          golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev
          mosquitto)  # MQTT transport tests start their own broker from it
COMPONENTS=(etcd kube-apiserver kube-controller-manager)

log() { printf '[controlplane] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The newest version of the `kubernetes` source package apt knows (empty without a deb-src entry).
source_version() {
  local v best=""
  while read -r v; do
    if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
  done < <(apt-cache showsrc kubernetes 2>/dev/null | awk '$1 == "Version:" {print $2}')
  printf '%s' "$best"
}

bin_dir() {
  local version
  version=$(source_version)
  [ -n "$version" ] || die "apt knows no source package 'kubernetes': run '$0 install' (as root) first"
  printf '%s/kube/%s/bin' "$CACHE" "$version"
}

# ---------------------------------------------------------------------------------------------- install

# Writes a deb-src twin of the system's main Debian entry (same URIs, suites, components, key), in deb822
# format next to debian.sources, or as a one-line entry when the machine still uses sources.list.
add_deb_src() {
  local codename
  # shellcheck source=/dev/null
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || die "cannot tell the Debian release from /etc/os-release"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # first stanza of Types deb that carries the release itself (not -security), comments dropped
    awk -v rel="$codename" '
      BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; suites = ""; out = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^#/) continue
          if ($i ~ /^Types:/) { types = $i; continue }
          if ($i ~ /^Suites:/) suites = $i
          out = out $i "\n"
        }
        if (types ~ /[: ]deb( |$)/ && (" " suites " ") ~ (" " rel " ")) { printf "Types: deb-src\n%s", out; exit }
      }' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/aranya-deb-src.sources
    [ -s /etc/apt/sources.list.d/aranya-deb-src.sources ] \
      || { rm -f /etc/apt/sources.list.d/aranya-deb-src.sources; die "no '$codename' entry in debian.sources"; }
  else
    grep -E "^deb [^#]*[[:space:]]${codename}[[:space:]]" /etc/apt/sources.list | head -1 | sed 's/^deb /deb-src /' \
      > /etc/apt/sources.list.d/aranya-deb-src.list
    [ -s /etc/apt/sources.list.d/aranya-deb-src.list ] \
      || { rm -f /etc/apt/sources.list.d/aranya-deb-src.list; die "no '$codename' entry in sources.list"; }
  fi
}

cmd_install() {
  local update=0 missing=() p
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ] && [ -n "$(source_version)" ]; then
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "needs root for apt (missing: ${missing[*]:-the kubernetes source package})"
  if [ -z "$(source_version)" ] && ! ls /etc/apt/sources.list.d/aranya-deb-src.* >/dev/null 2>&1; then
    log "adding a deb-src entry for the Debian mirror"
    add_deb_src
    update=1
  fi
  # update only when apt cannot see what we need: a new entry, a package without candidate, no source
  for p in "${missing[@]}"; do
    apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]' || update=1
  done
  [ -n "$(source_version)" ] || update=1
  if [ "$update" = 1 ]; then
    log "apt-get update"
    apt-get update -qq
  fi
  [ -n "$(source_version)" ] || die "apt still knows no source package 'kubernetes'"
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# ------------------------------------------------------------------------------------------------ build

# vendor_from_debian TREE MODULE PACKAGE: replace a vendored module by the source of Debian's package,
# with go.mod and vendor/modules.txt updated to match. Upstream's GOPATH-mode make does not read them
# (and a module-mode -mod=vendor build of 1.20 with Go 1.19 fails anyway: "updates to go.mod needed",
# which needs the network), but the tree should not claim versions it does not hold.
vendor_from_debian() {
  local tree=$1 mod=$2 pkg=$3 old new re
  [ -d "/usr/share/gocode/src/$mod" ] || die "no /usr/share/gocode/src/$mod: run '$0 install'"
  new=v$(dpkg-query -W -f='${Version}' "$pkg" | sed -E 's/^[0-9]+://; s/-[^-]*$//; s/[+~].*$//')
  old=$(awk -v m="$mod" '$1 == "#" && $2 == m && $3 ~ /^v/ {print $3; exit}' "$tree/vendor/modules.txt")
  [ -n "$old" ] || die "$mod is not in vendor/modules.txt"
  # what `go mod vendor` copies: the module root's own files, no tests, no sub-packages
  rsync -a --delete --exclude='*/' --exclude='*_test.go' \
    "/usr/share/gocode/src/$mod/" "$tree/vendor/$mod/"
  re="${mod//./\\.} ${old//./\\.}"
  sed -i -E "s#(^|[[:space:]])$re([[:space:]]|\$)#\\1$mod $new\\2#g" "$tree/go.mod" "$tree/vendor/modules.txt"
  # consistent: the old version is gone from both files, and modules.txt lists the module at the new one
  if grep -qE "(^|[[:space:]])$re([[:space:]]|\$)" "$tree/go.mod" "$tree/vendor/modules.txt" \
     || ! grep -qF "# $mod $new" "$tree/vendor/modules.txt"; then
    die "go.mod and vendor/modules.txt disagree on $mod after the replacement"
  fi
  log "vendor/$mod: $old -> $new (Debian's $pkg)"
}

cmd_build() {
  local version out work logfile started
  version=$(source_version)
  [ -n "$version" ] || die "apt knows no source package 'kubernetes': run '$0 install' (as root) first"
  out="$CACHE/kube/$version/bin"
  if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ]; then
    log "cached: $out"
    return 0
  fi
  local tool
  for tool in go make rsync dpkg-source flock; do
    command -v "$tool" >/dev/null || die "no '$tool': run '$0 install' (as root) first"
  done
  mkdir -p "$CACHE/kube"
  # two test JVMs may ask at once: one builds, the other waits and then finds the binaries
  exec 9> "$CACHE/kube/build.lock"
  flock -w 3600 9 || die "another build holds $CACHE/kube/build.lock for an hour"
  if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ]; then
    log "cached: $out"
    return 0
  fi
  started=$SECONDS
  work="$CACHE/kube/build"
  logfile="$CACHE/kube/build-$version.log"
  log "building kube-apiserver and kube-controller-manager from Debian's kubernetes $version (about 4-5 min on 2 cores; log: $logfile)"
  # the Go build cache survives a failed attempt, so a retry is faster; everything goes after success
  rm -rf "$work/dl" "$work/src"
  mkdir -p "$work/dl" "$work/gocache"
  : > "$logfile"
  (cd "$work/dl" && apt-get source -q --download-only "kubernetes=$version" && dpkg-source -x ./*.dsc "$work/src") \
    >> "$logfile" 2>&1 || { tail -20 "$logfile" >&2; die "cannot fetch or unpack the source package"; }
  local tree="$work/src"
  # Go 1.18+ breaks the vendored reflect2 1.0.1 (the apiserver crashes on pretty-printed JSON):
  # use Debian's reflect2 1.0.2 and the json-iterator that goes with it
  vendor_from_debian "$tree" github.com/modern-go/reflect2 golang-github-modern-go-reflect2-dev 2>> "$logfile"
  vendor_from_debian "$tree" github.com/json-iterator/go golang-github-json-iterator-go-dev 2>> "$logfile"
  # upstream's build as debian/rules runs it: GOPATH mode (hack/lib/init.sh sets GO111MODULE=off) over
  # the vendor tree; no network (GOPROXY=off), the installed Go only (GOTOOLCHAIN=local), no cgo
  mkdir -p "$tree/.go/src/k8s.io"
  ln -sfn ../../.. "$tree/.go/src/k8s.io/kubernetes"
  (cd "$tree" && env GOPATH="$tree/.go" GOFLAGS= GOPROXY=off GOTOOLCHAIN=local GOCACHE="$work/gocache" \
     CGO_ENABLED=0 HOME="$work" KUBE_GIT_VERSION=v1.20.2 KUBE_GIT_TREE_STATE=clean KUBE_GIT_COMMIT="debian-$version" \
     make WHAT="cmd/kube-apiserver cmd/kube-controller-manager") >> "$logfile" 2>&1 \
    || { tail -40 "$logfile" >&2; die "build failed (log: $logfile)"; }
  mkdir -p "$out"
  # copy then rename, so a reader never sees half a binary
  for tool in kube-apiserver kube-controller-manager; do
    cp "$tree/_output/bin/$tool" "$out/.$tool.tmp" && mv -f "$out/.$tool.tmp" "$out/$tool"
  done
  chmod -R u+w "$work" && rm -rf "$work"
  local elapsed=$((SECONDS - started))
  log "built in $((elapsed / 60))m$((elapsed % 60))s: $out"
}

# ------------------------------------------------------------------------------------------ processes

# owned NAME DIR: the pid recorded for NAME runs that binary, for this STATE_DIR (its arguments name it),
# so a recycled pid is never signalled
owned() {
  local name=$1 dir=$2 pid argv0 cmdline
  [ -f "$dir/$name.pid" ] || return 1
  pid=$(cat "$dir/$name.pid")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  argv0=$(head -1 <<< "$cmdline")
  [ "$(basename -- "$argv0")" = "$name" ] && grep -qF -- "$dir/" <<< "$cmdline"
}

# launch NAME DIR COMMAND...: a new session (setsid) so it outlives the caller and gets no terminal
# signals; the child records its own pid before exec, so the pid file is right even if setsid forks
launch() {
  local name=$1 dir=$2; shift 2
  rm -f "$dir/$name.pid"
  [ -f "$dir/logs/$name.log" ] && mv -f "$dir/logs/$name.log" "$dir/logs/$name.log.1"
  # shellcheck disable=SC2016 # $$ and $1 belong to the child shell
  # (fds 8 and 9 are this script's locks: a child holding them would hold the lock for its lifetime)
  setsid sh -c 'echo $$ > "$1.tmp" && mv "$1.tmp" "$1"; shift; exec "$@"' sh "$dir/$name.pid" "$@" \
    < /dev/null > "$dir/logs/$name.log" 2>&1 8>&- 9>&- &
  for _ in $(seq 50); do [ -s "$dir/$name.pid" ] && return 0; sleep 0.1; done
  die "$name did not start"
}

# free_ports N: N distinct loopback ports no socket uses (TIME_WAIT aside), below the ephemeral range
# (so an outgoing connection cannot take one between now and the component's bind)
free_ports() {
  local n=$1 low used port picked=()
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  used=" $(awk 'FNR > 1 && $4 != "06" {split($2, a, ":"); print a[2]}' /proc/net/tcp /proc/net/tcp6 2>/dev/null \
           | while read -r hex; do printf '%d ' "0x$hex"; done)"
  while [ ${#picked[@]} -lt "$n" ]; do
    port=$((10000 + RANDOM % (low - 10000)))
    case "$used ${picked[*]} " in *" $port "*) continue ;; esac
    picked+=("$port")
  done
  echo "${picked[@]}"
}

# port_free PORT: no listener on it. The connections a stopped component leaves (TIME_WAIT, and FIN_WAIT2 for a
# minute while its clients keep their ends open) do not stop a new listener (SO_REUSEADDR), and must not move a
# restarted control plane to other ports under its clients
port_free() {
  local hex
  hex=$(printf '%04X' "$1")
  ! awk 'FNR > 1 && $4 == "0A" {print $2}' /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ":$hex\$"
}

# env_get DIR KEY: one value of STATE_DIR/env (empty when absent)
env_get() {
  [ -f "$1/env" ] || return 0
  (
    # shellcheck source=/dev/null
    . "$1/env"
    printf '%s' "${!2:-}"
  )
}

# apiserver_ready DIR: /readyz answers ok to the admin certificate
apiserver_ready() {
  local dir=$1
  [ -f "$dir/env" ] || return 1
  (
    # shellcheck source=/dev/null
    . "$dir/env"
    curl -sf --max-time 3 --cacert "$CA_CERT" --cert "$ADMIN_CERT" --key "$ADMIN_KEY" "$APISERVER_URL/readyz" >/dev/null
  )
}

# wait_until NAME DIR SECONDS COMMAND...: poll COMMAND; fail at once with NAME's log tail if NAME exits
wait_until() {
  local name=$1 dir=$2 seconds=$3; shift 3
  local deadline=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    "$@" >/dev/null 2>&1 && return 0
    if ! owned "$name" "$dir"; then
      tail -30 "$dir/logs/$name.log" >&2 || true
      die "$name exited (log: $dir/logs/$name.log)"
    fi
    sleep 0.3
  done
  tail -30 "$dir/logs/$name.log" >&2 || true
  die "$name not ready after ${seconds}s (log: $dir/logs/$name.log)"
}

# ------------------------------------------------------------------------------------------------- PKI

# sign NAME SUBJECT EXT_LINES...: a key and a certificate of the cluster CA
sign() {
  local pki=$1 name=$2 subject=$3; shift 3
  openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$@" > "$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/${CA_NAME:-ca}.crt" -CAkey "$pki/${CA_NAME:-ca}.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

self_signed_ca() { # self_signed_ca PKI NAME CN
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$1/$2.key" -subj "/CN=$3" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$1/$2.crt" 2>/dev/null
}

PKI_FILES=(ca.crt ca.key apiserver.crt apiserver.key admin.crt admin.key apiserver-kubelet-client.crt
           apiserver-kubelet-client.key controller-manager.crt controller-manager.key sa.key sa.pub
           front-proxy-ca.crt front-proxy-ca.key front-proxy-client.crt front-proxy-client.key)

pki_complete() {
  local f
  for f in "${PKI_FILES[@]}"; do [ -s "$1/$f" ] || return 1; done
}

make_pki() {
  local pki=$1
  rm -rf "$pki" && mkdir -p "$pki" && chmod 700 "$pki"
  (
    umask 077
    # one CA for everything a cluster signs: clients, the apiserver, and CSRs via the controller-manager
    self_signed_ca "$pki" ca aranya-test-ca
    sign "$pki" apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,IP:::1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    sign "$pki" admin "/O=system:masters/CN=aranya-test-admin" "extendedKeyUsage=clientAuth"
    # what the apiserver shows to kubelets (Aranya's kubelet endpoints) on logs/exec/attach/port-forward
    sign "$pki" apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
    sign "$pki" controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
    # the aggregation layer's request-header CA, as kubeadm clusters have it
    self_signed_ca "$pki" front-proxy-ca aranya-test-front-proxy-ca
    CA_NAME=front-proxy-ca sign "$pki" front-proxy-client "/CN=front-proxy-client" "extendedKeyUsage=clientAuth"
  )
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
- name: aranya-test
  user:
    client-certificate-data: $(base64 -w0 < "$4")
    client-key-data: $(base64 -w0 < "$5")
contexts:
- name: aranya-test
  context: {cluster: aranya-test, user: aranya-test, namespace: default}
current-context: aranya-test
KC
  chmod 600 "$1"
}

# -------------------------------------------------------------------------------------------- commands

cmd_status() {
  local dir=$1 name up=()
  for name in "${COMPONENTS[@]}"; do owned "$name" "$dir" && up+=("$name"); done
  if [ ${#up[@]} -eq ${#COMPONENTS[@]} ] && apiserver_ready "$dir"; then
    echo "running: $(env_get "$dir" APISERVER_URL) KUBECONFIG=$dir/kubeconfig"
    return 0
  fi
  if [ ${#up[@]} -gt 0 ]; then echo "not running (partly up: ${up[*]})"; else echo "not running"; fi
  return 1
}

cmd_start() {
  local dir=$1 bins kubelet_ca_mode=${ARANYA_CP_KUBELET_CA:-cluster-ca} signing=${ARANYA_CP_SIGNING_DURATION:-8760h}
  mkdir -p "$dir/logs"
  # concurrent starts of one STATE_DIR: the second waits, then reuses what the first started
  exec 8> "$dir/.lock"
  flock -w $((TIMEOUT * 4)) 8 || die "another start of $dir holds $dir/.lock"
  if cmd_status "$dir" >/dev/null; then
    if [ "$(env_get "$dir" KUBELET_CA_MODE)" != "$kubelet_ca_mode" ]; then
      log "warning: the running control plane has another ARANYA_CP_KUBELET_CA; stop it to change that"
    fi
    if [ "$(env_get "$dir" SIGNING_DURATION)" != "$signing" ]; then
      log "warning: the running control plane has another ARANYA_CP_SIGNING_DURATION; stop it to change that"
    fi
    log "reusing the running control plane in $dir"
    echo "$dir/kubeconfig"
    return 0
  fi
  cmd_stop "$dir" "" 2>/dev/null  # leftovers of a half-dead one
  bins=$(bin_dir)
  if [ ! -x "$bins/kube-apiserver" ] || [ ! -x "$bins/kube-controller-manager" ]; then
    die "no binaries in $bins: run '$0 build' first"
  fi
  command -v etcd >/dev/null || die "no etcd: run '$0 install' (as root) first"
  local started=$SECONDS pki="$dir/pki"
  if ! pki_complete "$pki"; then
    log "new PKI in $pki"
    make_pki "$pki"
    rm -rf "$dir/etcd"  # data signed by another service-account key is of no use
  fi
  # the ports of the previous run when still free, so a KUBECONFIG a developer holds stays right
  local etcd_port="" etcd_peer="" api_port="" kcm_port=""
  if [ -f "$dir/env" ]; then
    eval "$(grep -E '^(ETCD_PORT|ETCD_PEER_PORT|APISERVER_PORT|CONTROLLER_MANAGER_PORT)=[0-9]+$' "$dir/env" \
            | sed -E 's/^ETCD_PORT=/etcd_port=/; s/^ETCD_PEER_PORT=/etcd_peer=/; s/^APISERVER_PORT=/api_port=/; s/^CONTROLLER_MANAGER_PORT=/kcm_port=/')"
  fi
  local p ok=1
  for p in "$etcd_port" "$etcd_peer" "$api_port" "$kcm_port"; do
    if [ -z "$p" ] || ! port_free "$p"; then ok=0; fi
  done
  if [ "$ok" = 0 ]; then read -r etcd_port etcd_peer api_port kcm_port < <(free_ports 4); fi
  local url="https://127.0.0.1:$api_port"
  {
    printf '%s=%q\n' STATE_DIR "$dir" KUBECONFIG "$dir/kubeconfig" APISERVER_URL "$url" APISERVER_PORT "$api_port" \
      ETCD_URL "http://127.0.0.1:$etcd_port" ETCD_PORT "$etcd_port" ETCD_PEER_PORT "$etcd_peer" \
      CONTROLLER_MANAGER_PORT "$kcm_port" CA_CERT "$pki/ca.crt" CA_KEY "$pki/ca.key" \
      ADMIN_CERT "$pki/admin.crt" ADMIN_KEY "$pki/admin.key" \
      KUBELET_CLIENT_CERT "$pki/apiserver-kubelet-client.crt" KUBELET_CLIENT_KEY "$pki/apiserver-kubelet-client.key" \
      KUBELET_CA_MODE "$kubelet_ca_mode" SIGNING_DURATION "$signing" BIN_DIR "$bins"
  } > "$dir/env"
  kubeconfig "$dir/kubeconfig" "$url" "$pki/ca.crt" "$pki/admin.crt" "$pki/admin.key"
  kubeconfig "$dir/controller-manager.kubeconfig" "$url" "$pki/ca.crt" "$pki/controller-manager.crt" "$pki/controller-manager.key"

  # from here on, a failure stops what did start, so nothing half-up is left behind
  # shellcheck disable=SC2064 # expanded now, on purpose
  trap "cmd_stop $(printf '%q' "$dir") '' 2>/dev/null" EXIT

  # single member on loopback; no fsync, as nothing here needs to survive a power cut
  launch etcd "$dir" etcd --name aranya-test --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "aranya-test=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync
  wait_until etcd "$dir" "$TIMEOUT" curl -sf --max-time 2 "http://127.0.0.1:$etcd_port/health"

  local kubelet_ca=(--kubelet-certificate-authority="$pki/ca.crt")
  [ "$kubelet_ca_mode" = none ] && kubelet_ca=()
  # --service-cluster-ip-range is only configuration here: no proxy, no traffic to 10.0.0.0/24
  launch kube-apiserver "$dir" "$bins/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" --insecure-port=0 \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --authorization-mode=Node,RBAC \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname "${kubelet_ca[@]}" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 --allow-privileged=true \
    --enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultTolerationSeconds,NodeRestriction,ResourceQuota \
    --requestheader-client-ca-file="$pki/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$pki/front-proxy-client.crt" --proxy-client-key-file="$pki/front-proxy-client.key"
  wait_until kube-apiserver "$dir" "$TIMEOUT" apiserver_ready "$dir"

  # the cluster CA signs approved CSRs (kubernetes.io/kubelet-serving among them), as in a real cluster
  # ('*' has the CSR controllers already, named csrsigning/csrapproving/csrcleaner in 1.20; listed to be sure);
  # its secure port is on loopback for /healthz only, the insecure one is off (--port=0)
  launch kube-controller-manager "$dir" "$bins/kube-controller-manager" \
    --kubeconfig="$dir/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$dir/controller-manager.kubeconfig" --authorization-kubeconfig="$dir/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$kcm_port" --port=0 --cert-dir="$dir/controller-manager-serving" \
    --leader-elect=false \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --cluster-signing-duration="$signing" \
    --root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" --use-service-account-credentials=true \
    --controllers='*,csrsigning,csrapproving,csrcleaner'
  wait_until kube-controller-manager "$dir" "$TIMEOUT" curl -skf --max-time 2 "https://127.0.0.1:$kcm_port/healthz"
  # tests create pods right away: wait until the service-account controller has made "default" usable
  wait_until kube-controller-manager "$dir" "$TIMEOUT" curl -sf --max-time 3 --cacert "$pki/ca.crt" \
    --cert "$pki/admin.crt" --key "$pki/admin.key" "$url/api/v1/namespaces/default/serviceaccounts/default"
  trap - EXIT
  log "control plane up in $((SECONDS - started))s at $url"
  echo "$dir/kubeconfig"
}

cmd_stop() {
  local dir=$1 purge=$2 name pid
  # the reverse of the start order, so nothing logs errors about what went first
  for name in kube-controller-manager kube-apiserver etcd; do
    [ -f "$dir/$name.pid" ] || continue
    if owned "$name" "$dir"; then
      pid=$(cat "$dir/$name.pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
      if [ -e "/proc/$pid" ] && owned "$name" "$dir"; then
        log "$name ($pid) ignored SIGTERM for 10s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
      fi
      log "stopped $name ($pid)"
    fi
    rm -f "$dir/$name.pid"
  done
  if [ "$purge" = --purge ]; then
    # only a directory this script made: never rm -rf a wrong argument
    if [ -f "$dir/env" ] || [ -d "$dir/pki" ] || [ -d "$dir/etcd" ]; then
      rm -rf "$dir"
      log "purged $dir"
    else
      log "not purging $dir: it does not look like a control plane's state"
    fi
  fi
  return 0
}

main() {
  local cmd=${1:-} dir="" purge="" arg
  [ $# -gt 0 ] && shift
  for arg in "$@"; do
    case "$arg" in
      --purge) purge=--purge ;;
      -*) die "unknown option $arg" ;;
      *) [ -z "$dir" ] || die "one STATE_DIR only"; dir=$arg ;;
    esac
  done
  dir=${dir:-$DEFAULT_STATE}
  dir=$(realpath -m -- "$dir")  # absolute: it goes into the env file and into process arguments
  case "$cmd" in
    install) cmd_install ;;
    build) cmd_build ;;  # a STATE_DIR argument is accepted and ignored (callers pass one to every command)
    start) cmd_start "$dir" ;;
    stop) cmd_stop "$dir" "$purge" ;;
    status) cmd_status "$dir" ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
