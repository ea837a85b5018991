#!/usr/bin/env bash
# The base of Aranya's container images: Debian bookworm (minbase) with a Java 17 runtime, made with debootstrap
# from Debian's package mirror, as no container registry and no Docker engine are needed (or reachable) here.
# Writes one tarball that both `docker load` / skopeo (docker-archive:, manifest.json) and OCI tools (oci-archive:,
# index.json) read, and that Jib takes as `tar://` base image (runtime/image/pom.xml):
#
#   build-base-image.sh [--force]     build unless the tarball exists with the same recorded inputs
#   build-base-image.sh --path        print the tarball's path
#
# Output: ~/.cache/aranya/image/aranya-base.tar (a fixed place: runtime/image/pom.xml's profile looks for that file) and,
# next to it, aranya-base.inputs (what it was built from). Environment: ARANYA_DEBIAN_MIRROR and
# ARANYA_DEBIAN_SECURITY_MIRROR (default: the mirrors this machine's apt uses for bookworm and bookworm-security).
# Needs root (debootstrap); installs debootstrap and jq when missing. See docs/deployment.md.
set -euo pipefail

OUT_DIR="$HOME/.cache/aranya/image"
TARBALL="$OUT_DIR/aranya-base.tar"
INPUTS_FILE="$OUT_DIR/aranya-base.inputs"
SUITE=bookworm
PACKAGES=openjdk-17-jre-headless,ca-certificates
TAG=aranya-base:bookworm-java17

log() { printf '[base-image] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# system_mirror SUITE: the URI of the first apt entry (deb822 or one-line) of this machine that carries SUITE
system_mirror() {
  local f suite=$1
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v rel="$suite" '
      BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; suites = ""; uris = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) types = $i
          else if ($i ~ /^Suites:/) suites = $i
          else if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris); sub(/[ \t].*$/, "", uris) }
        }
        if (types ~ /[: ]deb( |$)/ && (" " suites " ") ~ (" " rel " ") && uris != "") { print uris; exit }
      }' "$f"
  done | head -1 | grep . && return 0
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk -v rel="$suite" '$1 == "deb" && $0 ~ ("[ \t]" rel "[ \t]") { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' \
    | head -1 | grep .
}

MIRROR="${ARANYA_DEBIAN_MIRROR:-$(system_mirror "$SUITE" || true)}"
SECURITY_MIRROR="${ARANYA_DEBIAN_SECURITY_MIRROR:-$(system_mirror "$SUITE-security" || true)}"
ARCH=$(dpkg --print-architecture)

# What decides the tarball's content; a change rebuilds it: the script, where packages come from, and the newest
# versions apt knows of the packages (so a Java or CA security update rebuilds the base on the next run)
inputs() {
  local p
  printf 'suite=%s\nmirror=%s\nsecurity=%s\narch=%s\npackages=%s\nscript=%s\n' \
    "$SUITE" "$MIRROR" "$SECURITY_MIRROR" "$ARCH" "$PACKAGES" "$(sha256sum < "$0" | cut -d' ' -f1)"
  for p in ${PACKAGES//,/ }; do
    printf '%s=%s\n' "$p" "$(apt-cache madison "$p" 2>/dev/null | awk -F' *[|] *' 'NR == 1 {print $2}')"
  done
}

# The image's apt sources (for images derived from it), then the updates and security fixes that debootstrap,
# which installs from $SUITE alone, leaves out
upgrade() {
  local root=$1
  rm -f "$root/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$MIRROR" "$SUITE" "$SUITE"
    if [ -n "$SECURITY_MIRROR" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$SECURITY_MIRROR" "$SUITE"
    fi
  } > "$root/etc/apt/sources.list.d/debian.sources"
  # a private mount namespace: /proc and /dev for the maintainer scripts, gone when it ends
  unshare --mount --fork sh -c 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" \
      && chroot "$1" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq && apt-get clean"' \
    sh "$root" >> "$2" 2>&1
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Removes what a container never needs from the rootfs: package indexes and caches, documentation (the copyright
# files stay: the licences travel with the image), man pages, logs, and the files a container runtime provides.
trim() {
  local root=$1
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
         "$root"/var/log/* "$root"/tmp/* "$root"/var/tmp/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
         "$root"/usr/share/lintian "$root"/usr/share/linda
  find "$root/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
  # device nodes, resolv.conf, hostname and machine-id come from the container runtime
  find "$root/dev" -mindepth 1 -delete
  rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
  : > "$root/etc/machine-id"
  # keep later `apt-get install` in a derived image from bringing the documentation back
  cat > "$root/etc/dpkg/dpkg.cfg.d/aranya-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
}

# write_image ROOTFS WORK: the layer tar, the config, the manifests and the tarball
write_image() {
  local root=$1 work=$2 epoch layer config layer_sha layer_size config_sha config_size manifest manifest_sha
  local java_home created
  # /usr/bin/java -> /etc/alternatives/java -> <JAVA_HOME>/bin/java, resolved inside the rootfs
  java_home=$(chroot "$root" readlink -f /usr/bin/java)
  java_home=${java_home%/bin/java}
  [ -x "$root$java_home/bin/java" ] || die "no Java runtime in the rootfs ($java_home)"
  epoch=$(date +%s)
  created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
  mkdir -p "$work/image/blobs/sha256"
  layer="$work/layer.tar"
  tar --create --file "$layer" --directory "$root" --numeric-owner --xattrs --sort=name \
      --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime .
  layer_sha=$(sha256 "$layer"); layer_size=$(stat -c %s "$layer")
  mv "$layer" "$work/image/blobs/sha256/$layer_sha"

  config="$work/config.json"
  jq -n -c --arg arch "$ARCH" --arg created "$created" --arg diff "sha256:$layer_sha" --arg jh "$java_home" \
        --arg by "debootstrap --variant=minbase --include=$PACKAGES $SUITE $MIRROR (runtime/image/build-base-image.sh)" '{
      architecture: $arch, os: "linux", created: $created,
      config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ("JAVA_HOME=" + $jh), "LANG=C.UTF-8"],
               Cmd: ["bash"]},
      rootfs: {type: "layers", diff_ids: [$diff]},
      history: [{created: $created, created_by: $by}]
    }' > "$config"
  config_sha=$(sha256 "$config"); config_size=$(stat -c %s "$config")
  mv "$config" "$work/image/blobs/sha256/$config_sha"

  # docker save's manifest.json (Docker, skopeo docker-archive:, Jib's tar://) ...
  jq -n -c --arg c "blobs/sha256/$config_sha" --arg l "blobs/sha256/$layer_sha" --arg tag "$TAG" \
     '[{Config: $c, RepoTags: [$tag], Layers: [$l]}]' > "$work/image/manifest.json"
  # ... and an OCI image layout over the same blobs (skopeo oci-archive:, crane, containerd)
  manifest="$work/manifest.oci.json"
  jq -n -c --arg cs "sha256:$config_sha" --argjson cz "$config_size" --arg ls "sha256:$layer_sha" --argjson lz "$layer_size" '{
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cs, size: $cz},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ls, size: $lz}]
    }' > "$manifest"
  manifest_sha=$(sha256 "$manifest")
  jq -n -c --arg ms "sha256:$manifest_sha" --argjson mz "$(stat -c %s "$manifest")" --arg tag "$TAG" '{
      schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $ms, size: $mz,
                   annotations: {"io.containerd.image.name": ("docker.io/library/" + $tag), "org.opencontainers.image.ref.name": ($tag | split(":")[1])}}]
    }' > "$work/image/index.json"
  mv "$manifest" "$work/image/blobs/sha256/$manifest_sha"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$work/image/oci-layout"

  tar --create --file "$work/image.tar" --directory "$work/image" --numeric-owner --owner=0 --group=0 \
      --sort=name --mtime="@$epoch" oci-layout index.json manifest.json blobs
  # rename last, so that a reader never sees half a tarball
  mv -f "$work/image.tar" "$TARBALL"
  log "layer $((layer_size / 1024 / 1024)) MiB uncompressed, JAVA_HOME=$java_home"
}

cmd_build() {
  local force=${1:-}
  mkdir -p "$OUT_DIR"
  # two builds at once: one builds, the other waits and then finds the tarball
  exec 9> "$OUT_DIR/build.lock"
  flock -w 1800 9 || die "another build holds $OUT_DIR/build.lock for 30 minutes"
  [ -n "$MIRROR" ] || die "cannot tell the Debian mirror from apt's sources: set ARANYA_DEBIAN_MIRROR"
  if [ -z "$force" ] && [ -s "$TARBALL" ] && [ -f "$INPUTS_FILE" ] && [ "$(inputs)" = "$(cat "$INPUTS_FILE")" ]; then
    log "cached: $TARBALL"
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "needs root (debootstrap creates a root file system)"
  for tool in jq debootstrap; do
    if ! command -v "$tool" >/dev/null; then
      log "installing $tool"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$tool" >/dev/null \
        || die "cannot install $tool (apt-get update first?)"
    fi
  done
  local started=$SECONDS work logfile
  work="$OUT_DIR/build"
  logfile="$OUT_DIR/build.log"
  rm -rf "$work" && mkdir -p "$work"
  log "debootstrap $SUITE ($ARCH) from $MIRROR with $PACKAGES (log: $logfile)"
  debootstrap --variant=minbase --arch="$ARCH" --include="$PACKAGES" "$SUITE" "$work/rootfs" "$MIRROR" > "$logfile" 2>&1 \
    || { tail -20 "$logfile" >&2; die "debootstrap failed (log: $logfile)"; }
  log "upgrading from $SUITE-updates and $SUITE-security"
  upgrade "$work/rootfs" "$logfile" || { tail -20 "$logfile" >&2; die "upgrade failed (log: $logfile)"; }
  trim "$work/rootfs"
  write_image "$work/rootfs" "$work"
  inputs > "$INPUTS_FILE"
  rm -rf "$work"
  local elapsed=$((SECONDS - started))
  log "built in $((elapsed / 60))m$((elapsed % 60))s: $TARBALL ($(($(stat -c %s "$TARBALL") / 1024 / 1024)) MiB)"
}

case "${1:-}" in
  ""|--force) cmd_build "${1:-}" ;;
  --path) echo "$TARBALL" ;;
  *) die "usage: $0 [--force|--path]" ;;
esac
