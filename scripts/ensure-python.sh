#!/usr/bin/env bash
# Installs Debian's venv support when the Python given cannot make virtual environments.
set -euo pipefail
python="${1:-python3}"
if "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  exit 0
fi
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv python3-pip
