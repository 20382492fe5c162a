#!/usr/bin/env bash
# Benchmark of `edgeflash inject` (issue 4): adding the site user-data volume to a stick that
# already holds the installer, on a 64 GiB sparse loop device. Injection writes only the volume
# and the partition tables, so its time must not grow with the device (target: under 1 s).
#
#   bench/inject.sh [ROUNDS]          (default 5; EDGEFLASH_BIN=path overrides the release build)
#
# Per round: the image is written once with dd (outside the timing), then `inject --fs vfat` and
# `inject --fs iso9660` are timed (wall clock, read-back of the tables included). Medians reported.
# Scratch files live in bench/out/inject (gitignored); the loop device is detached on exit. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
out=bench/out/inject
mkdir -p "$out"

if [ -z "${EDGEFLASH_BIN:-}" ]; then
  swift build -c release >/dev/null
  EDGEFLASH_BIN="$(swift build -c release --show-bin-path)/edgeflash"
fi
image=${IMAGE:-/usr/lib/grub-rescue/grub-rescue-cdrom.iso}
printf '#cloud-config\nstylus:\n  site:\n    edgeHostToken: PLACEHOLDER-NOT-A-TOKEN\n    projectName: bench\n' > "$out/user-data"

stick="$out/stick.img"
rm -f "$stick"
truncate -s 64G "$stick"
dev=$(losetup --find --show --direct-io=on "$stick")
trap 'losetup -d "$dev" 2>/dev/null || true; rm -f "$stick"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
time_of() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }'; }

: > "$out/vfat.times"; : > "$out/iso9660.times"
for round in $(seq 1 "$rounds"); do
  for fs in vfat iso9660; do
    dd if="$image" of="$dev" bs=4M oflag=direct conv=fsync status=none
    dd if=/dev/zero of="$dev" bs=1M seek=$(( $(stat -c %s "$image") / 1048576 + 1 )) count=128 oflag=direct status=none
    time_of "$EDGEFLASH_BIN" inject "$dev" --user-data "$out/user-data" --fs "$fs" --yes >> "$out/$fs.times"
  done
done
echo "inject on a 64 GiB loop device ($image, $rounds rounds, binary $EDGEFLASH_BIN)"
printf 'vfat     median %.3f s  (%s)\n' "$(median < "$out/vfat.times")" "$(sort -n "$out/vfat.times" | tr '\n' ' ')"
printf 'iso9660  median %.3f s  (%s)\n' "$(median < "$out/iso9660.times")" "$(sort -n "$out/iso9660.times" | tr '\n' ' ')"
