#!/usr/bin/env bash
# The main job on an embedded default: writes a demo ISO to a virtual USB stick (a sparse file on
# a loop device), verifies it from the device, and detaches the stick. Needs root for the loop device.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

image=${1:-/usr/lib/ipxe/ipxe.iso}   # a real hybrid ISO from Debian's ipxe package
stick_file=$(mktemp /tmp/edgeflash-demo-stick.XXXXXX)
truncate -s 64M "$stick_file"
stick=$(losetup --find --show --direct-io=on "$stick_file")
cleanup() { losetup -d "$stick" 2>/dev/null || true; rm -f "$stick_file"; }
trap cleanup EXIT

echo "Virtual stick: $stick (64 MiB, backed by $stick_file)"
"$(swift build --show-bin-path)/edgeflash" write "$image" "$stick" --yes
