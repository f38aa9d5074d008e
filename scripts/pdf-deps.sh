#!/usr/bin/env bash
# Makes sure the Debian libraries WeasyPrint renders PDF reports with (Pango, and a font it
# can find) are installed: apt-get runs only when one of them is missing.
set -euo pipefail
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
packages="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"

missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $package"
done

if [ -n "$missing" ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi
echo "PDF reports ready: Pango and fonts installed"
