#!/usr/bin/env bash
# Runs every test: unit tests, the Pax Exam tests in Felix and the end-to-end tests against a real
# kube-apiserver. Installs what they need first (Debian packages, the control plane build cached under
# ~/.cache/aranya), so it works on a fresh machine; a second run skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then
  bash itests/controlplane/controlplane.sh install
else
  echo "not root: skipping the apt install step (run 'sudo itests/controlplane/controlplane.sh install' once)" >&2
fi
bash itests/controlplane/controlplane.sh build
# the container images' base (Debian packages, cached in ~/.cache/aranya/image): with it, the build makes the images
# and ContainerImageE2E runs them
if [ "$(id -u)" = 0 ]; then
  bash runtime/image/build-base-image.sh
else
  echo "not root: skipping the base image (run 'sudo runtime/image/build-base-image.sh' once)" >&2
fi

# -B: plain output for logs; the control plane is started by the tests themselves and stopped when they end
mvn -B -ntp verify "$@"
