#!/usr/bin/env bash
# Installs the Restate peer of the benchmark (restate-server 1.7.12, the linux-x64 binary inside the npm
# package, the TypeScript SDK and kafkajs; versions pinned in package.json) into RESTATE_HOME, outside the
# repository, and copies the benchmark service next to them.
#
#   benchmarks/peers/restate/install.sh DIR      (or RESTATE_HOME=DIR ...; default $HOME/.cache/kstatefun-bench/restate)
#
# Uses the default npm configuration (registry, proxy). Idempotent: a complete install is left alone
# except for service.js, which is refreshed.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RH="${1:-${RESTATE_HOME:-$HOME/.cache/kstatefun-bench/restate}}"
mkdir -p "$RH"
cp "$SRC/service.js" "$RH/service.js"
if [ -x "$RH/node_modules/.bin/restate-server" ] && cmp -s "$SRC/package.json" "$RH/package.json" \
  && [ -d "$RH/node_modules/@restatedev/restate-sdk" ] && [ -d "$RH/node_modules/kafkajs" ]; then
  echo "restate peer already installed in $RH"
  exit 0
fi
cp "$SRC/package.json" "$RH/package.json"
export SCARF_ANALYTICS=false DO_NOT_TRACK=1 # a restate-server dependency reports installs otherwise
(cd "$RH" && npm install --no-audit --no-fund --loglevel=error)
"$RH/node_modules/.bin/restate-server" --version
echo "restate peer installed in $RH"
