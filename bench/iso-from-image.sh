#!/usr/bin/env bash
# Benchmark of `edgeflash build iso --from-image dir:ROOT` (issue 13): the whole build beside
# `mksquashfs` alone on the same tree, with the same options edgeflash gives it (1 MiB blocks,
# gzip, xattrs, every core). Target: edgeflash at most 1.3x mksquashfs, so its own work (GRUB's
# images, the FAT image, xorriso writing the ISO, SHA-256 of it) is small beside the compression.
# Release build; one run of this script gives every figure, side by side, rounds alternating.
#
#   bench/iso-from-image.sh [ROUNDS] [TREE_MIB]     (defaults: 3 rounds, about 500 MiB)
#
# The tree: directories of /usr/lib and /usr/share copied (cp -a) into bench/out/iso-from-image/root
# until about TREE_MIB MiB, plus a /boot with the boot fixture's Debian kernel and initramfs when
# .fixtures/boot has them, else stand-in files. It is kept between runs. Page cache: the tree is
# read once before the first round, so every round reads it from memory. Load average printed at
# the start and the end: the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
tree_mib=${2:-500}
out=bench/out/iso-from-image
root="$out/root"
mkdir -p "$out"

if [ ! -f "$out/root.stamp" ] || [ "$(cat "$out/root.stamp")" != "$tree_mib" ]; then
  rm -rf "$root"
  mkdir -p "$root/usr/lib" "$root/usr/share" "$root/boot"
  total=0
  for dir in /usr/lib/x86_64-linux-gnu /usr/share/* /usr/lib/*; do
    [ "$total" -lt "$tree_mib" ] || break
    [ -d "$dir" ] && [ ! -e "$root$dir" ] || continue
    size=$(du -sm "$dir" 2>/dev/null | cut -f1)
    [ $((total + size)) -le $((tree_mib + tree_mib / 10)) ] || continue
    cp -a "$dir" "$root$dir" 2>/dev/null || true
    total=$((total + size))
  done
  kernel=.fixtures/boot/installer.iso
  if [ -f "$kernel" ]; then
    xorriso -osirrox on -indev "$kernel" -extract /boot/vmlinuz "$root/boot/vmlinuz" \
      -extract /boot/initrd.gz "$root/boot/initrd" 2>/dev/null
  else
    head -c 8000000 /dev/urandom > "$root/boot/vmlinuz"
    head -c 3000000 /dev/urandom > "$root/boot/initrd"
  fi
  echo "$tree_mib" > "$out/root.stamp"
fi
printf 'ISO_NAME=bench\n' > "$out/.arg"

swift build -c release >/dev/null
edgeflash="$(swift build -c release --show-bin-path)/edgeflash"
processors=$(nproc)
files=$(find "$root" | wc -l)
echo "tree: $(du -sm "$root" | cut -f1) MiB in $files entries ($root); $processors processors; $(mksquashfs -version | head -n1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
find "$root" -type f -print0 | xargs -0 cat > /dev/null 2>&1 || true

seconds() { local start=$1 end; end=$(date +%s.%N); echo "$end - $start" | bc; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR + 1) / 2)]}'; }
squash_times=() edgeflash_times=()
for round in $(seq "$rounds"); do
  rm -f "$out/alone.squashfs"
  start=$(date +%s.%N)
  mksquashfs "$root" "$out/alone.squashfs" -noappend -no-progress -quiet -b 1024k -xattrs -processors "$processors" >/dev/null
  squash_times+=("$(seconds "$start")")
  rm -rf "$out/build"
  start=$(date +%s.%N)
  "$edgeflash" build iso --from-image "dir:$root" --arg "$out/.arg" --output "$out/build" >/dev/null 2>"$out/edgeflash.log"
  edgeflash_times+=("$(seconds "$start")")
  printf 'round %d: mksquashfs %.2f s, edgeflash build iso %.2f s\n' "$round" "${squash_times[-1]}" "${edgeflash_times[-1]}"
done
squash=$(printf '%s\n' "${squash_times[@]}" | median)
whole=$(printf '%s\n' "${edgeflash_times[@]}" | median)
echo "squashfs: $(($(stat -c %s "$out/alone.squashfs") >> 20)) MiB; ISO: $(($(stat -c %s "$out/build/bench.iso") >> 20)) MiB"
printf 'median of %d: mksquashfs alone %.2f s, edgeflash build iso --from-image %.2f s, ratio %.2f (target <= 1.30)\n' \
  "$rounds" "$squash" "$whole" "$(echo "$whole / $squash" | bc -l)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
