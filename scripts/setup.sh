#!/usr/bin/env bash
# Installs whatever is missing on a Debian machine, then builds the project:
# system packages (oneDNN for the native backend; Chromium for the browser
# tests with --test), `npm ci` (which builds the native addon and the
# TypeScript). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

want=(libdnnl-dev)
if [[ "${1:-}" == "--test" ]]; then want+=(chromium); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq
  if ! DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; then
    echo "setup: could not install ${missing[*]}; continuing"
    for p in "${missing[@]}"; do
      case "$p" in
        libdnnl-dev) echo "setup:   without libdnnl-dev the native backend is not built and squid falls back to tfjs-cpu (slow)" ;;
        chromium) echo "setup:   without chromium the browser tests are skipped" ;;
      esac
    done
  fi
fi

# onnxruntime-node carries its CPU runtime; its install script would fetch CUDA files from nuget.org
# (.npmrc says the same for a plain `npm ci`)
export ONNXRUNTIME_NODE_INSTALL=skip
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci
else
  echo "setup: node_modules up to date; rebuilding"
  npm run build:native --silent
  npm run build --silent
fi
node bin/squid.js doctor
