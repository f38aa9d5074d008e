#!/bin/sh
# The workbench's third-party browser code, fetched from npm (never kept in the repository):
# Leaflet (the map) and htmx, unpacked with their licences into the package's static folder,
# from where the workbench serves them under /static/vendor/. Without npm this says so and
# stops: the pages still work, without the map widget.
set -eu

LEAFLET_VERSION="${LEAFLET_VERSION:-1.9.4}"
HTMX_VERSION="${HTMX_VERSION:-2.0.11}"
VENDOR="$(cd "$(dirname "$0")/.." && pwd)/src/siteline/web/static/vendor"

if [ -f "$VENDOR/leaflet/leaflet.js" ] && [ -f "$VENDOR/htmx/htmx.min.js" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "web-assets: npm not found; the workbench will work without its map widget" >&2
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT INT TERM

unpack() {  # unpack PACKAGE@VERSION into $work/NAME
    (cd "$work" && npm pack --silent "$1" >/dev/null)
    mkdir -p "$work/$2"
    tar -xzf "$work"/"$3"-*.tgz -C "$work/$2"
}

unpack "leaflet@$LEAFLET_VERSION" leaflet leaflet
unpack "htmx.org@$HTMX_VERSION" htmx htmx.org

rm -rf "$VENDOR.new"
mkdir -p "$VENDOR.new/leaflet/images" "$VENDOR.new/htmx"
cp "$work/leaflet/package/dist/leaflet.js" "$work/leaflet/package/dist/leaflet.css" \
    "$work/leaflet/package/LICENSE" "$VENDOR.new/leaflet/"
cp "$work/leaflet/package/dist/images/"*.png "$VENDOR.new/leaflet/images/"
cp "$work/htmx/package/dist/htmx.min.js" "$work/htmx/package/LICENSE" "$VENDOR.new/htmx/"
rm -rf "$VENDOR"
mv "$VENDOR.new" "$VENDOR"
echo "web-assets: Leaflet $LEAFLET_VERSION and htmx $HTMX_VERSION in $VENDOR"
