#!/usr/bin/env bash
# A device CA on disk, for the TCP and gRPC transports' mutual TLS: the CA that issues device client certificates
# (subject O=<namespace>, CN=<EdgeDevice name>) and Aranya's server certificate that agents verify.
#
#   device-pki.sh init   DIR                      device CA (DIR/ca.crt, DIR/ca.key), once
#   device-pki.sh server DIR SAN[,SAN...]         Aranya's server certificate DIR/server.{crt,key}; SANs are
#                                                 IP addresses or DNS names the agents dial
#   device-pki.sh device DIR NAMESPACE NAME       a device's certificate DIR/devices/NAMESPACE/NAME.{crt,key}
#
# Keys are ECDSA P-256 in PKCS#8 PEM, created with mode 0600. Certificates last 825 days. Nothing is printed
# but the paths written. Revoke a device by deleting its EdgeDevice (the transports accept registered devices only).
set -euo pipefail
umask 077

usage() { sed -n '2,11p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
command=$1 dir=$2
mkdir -p "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# openssl x509 -req with the extensions given on the command line (a temporary extension file)
sign() { # out.crt in.csr extensions...
  local out=$1 csr=$2; shift 2
  local ext; ext=$(mktemp)
  printf '%s\n' "$@" > "$ext"
  openssl x509 -req -in "$csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 825 -sha256 \
    -extfile "$ext" -out "$out" 2>/dev/null
  rm -f "$ext" "$csr"
}

case "$command" in
  init)
    if [ -s "$dir/ca.crt" ]; then echo "$dir/ca.crt (kept)"; exit 0; fi
    key "$dir/ca.key"
    openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=aranya-device-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$dir/ca.crt"
    echo "$dir/ca.crt"
    ;;
  server)
    [ $# -eq 3 ] || usage
    [ -s "$dir/ca.crt" ] || { echo "no device CA in $dir: run '$0 init $dir' first" >&2; exit 1; }
    sans=()
    IFS=, read -ra names <<< "$3"
    for n in "${names[@]}"; do
      if [[ $n =~ ^[0-9.]+$ || $n == *:* ]]; then sans+=("IP:$n"); else sans+=("DNS:$n"); fi
    done
    key "$dir/server.key"
    openssl req -new -key "$dir/server.key" -subj "/CN=aranya" -out "$dir/server.csr"
    sign "$dir/server.crt" "$dir/server.csr" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
      "subjectAltName=$(IFS=,; echo "${sans[*]}")"
    echo "$dir/server.crt"
    ;;
  device)
    [ $# -eq 4 ] || usage
    [ -s "$dir/ca.crt" ] || { echo "no device CA in $dir: run '$0 init $dir' first" >&2; exit 1; }
    namespace=$3 name=$4
    out="$dir/devices/$namespace"
    mkdir -p "$out"
    key "$out/$name.key"
    openssl req -new -key "$out/$name.key" -subj "/O=$namespace/CN=$name" -out "$out/$name.csr"
    sign "$out/$name.crt" "$out/$name.csr" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth"
    echo "$out/$name.crt"
    ;;
  *) usage ;;
esac
