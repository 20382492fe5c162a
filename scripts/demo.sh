#!/usr/bin/env bash
# The main job on an embedded default: writes a demo ISO to a virtual USB stick (a sparse file on
# a loop device), verifies it from the device, and detaches the stick. Needs root for the loop device.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null

image=${1:-/usr/lib/ipxe/ipxe.iso}   # a real hybrid ISO from Debian's ipxe package
stick_file=$(mktemp /tmp/edgeflash-demo-stick.XXXXXX)
truncate -s 64M "$stick_file"
stick=$(losetup --find --show --direct-io=on "$stick_file")
cleanup() { losetup -d "$stick" 2>/dev/null || true; rm -f "$stick_file"; }
trap cleanup EXIT
edgeflash="$(swift build --show-bin-path)/edgeflash"

echo "Virtual stick: $stick (64 MiB, backed by $stick_file)"
echo
echo "== edgeflash write $image $stick --yes"
"$edgeflash" write "$image" "$stick" --yes
echo
echo "== edgeflash verify $image --against $stick   (checking the stick again later)"
"$edgeflash" verify "$image" --against "$stick"
echo
size=$(stat -c %s "$image")
if cmp -s -n "$size" "$image" "$stick"; then same="yes"; else same="NO"; fi
echo "Summary"
echo "  image:              $image ($size bytes)"
echo "  stick:              $stick, 64 MiB loop device (detached on exit)"
echo "  written + verified: yes (edgeflash read it back with O_DIRECT)"
echo "  cmp image vs stick: $same (independent check with cmp)"
[ "$same" = yes ]
