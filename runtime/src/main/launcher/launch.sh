#!/usr/bin/env bash
# Starts @PRODUCT@. Usage: bin/@NAME@ [run|console|check]   (see docs/operations.md)
#   @VAR@_HOME       the distribution folder (default: this script's parent folder)
#   @VAR@_JAVA_OPTS  JVM options (default: @JAVA_OPTS@)
#   JAVA_HOME         the Java 17+ to use (default: java on PATH)
# (bin/aranya and bin/arhat are made from one template, runtime/src/main/launcher/launch.sh)
set -euo pipefail
@VAR@_HOME="${@VAR@_HOME:-$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# exec: SIGTERM reaches the JVM, whose shutdown hook stops the framework cleanly; log4j2's own shutdown hook is
# off so that the log stays open while the bundles stop (pax-logging closes it when its bundle stops)
# shellcheck disable=SC2086
exec "$JAVA" ${@VAR@_JAVA_OPTS:-@JAVA_OPTS@} \
  -Daranya.home="$@VAR@_HOME" \
  -Daranya.product="@PRODUCT@" \
  -Dlog4j2.shutdownHookEnabled=false \
  -Djava.util.logging.config.file="$@VAR@_HOME/conf/logging.properties" \
  -cp "$@VAR@_HOME/lib/org.apache.felix.main.jar:$@VAR@_HOME/lib/aranya-launcher.jar" \
  dev.aranya.runtime.Launcher "$@"
