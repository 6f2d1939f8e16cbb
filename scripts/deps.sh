#!/usr/bin/env bash
# Installs the Debian packages knowthy builds and tests with. Idempotent: apt-get runs only when
# something is missing, so a second run costs a dpkg query.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates nodejs npm python3
  libsqlite3-dev libarchive-dev libdeflate-dev zlib1g-dev libsimdjson-dev nlohmann-json3-dev
  libcli11-dev libfmt-dev libisal-dev libzip-dev libtomlplusplus-dev libutf8proc-dev libxxhash-dev libcpp-httplib-dev libssl-dev libbrotli-dev
  libmd4c-dev libmd4c-html0-dev libxml2-dev chromium
  libgtest-dev libgmock-dev libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # A command already on PATH (e.g. node from another source) counts as present.
    case "$p" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
      python3) command -v python3 >/dev/null && continue ;;
    esac
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "knowthy: installing Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
