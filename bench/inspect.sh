#!/usr/bin/env bash
# Measures `edgeflash inspect` on a 4 GiB hybrid ISO: the structure-only report, the SHA-256 of a
# checksum file beside the image against `sha256sum`, and the implanted-MD5 check against
# `checkisomd5`. Tools alternate within each round; medians of ROUNDS rounds. Warm page cache
# (a first untimed run reads the file in): the comparison is of hashing, not of the disk.
#   bench/inspect.sh [ROUNDS]     (default 3)   BENCH_DIR=/var/tmp/... to keep the 4 GiB image
# Prints a markdown block; append it to BENCHMARKS.md under "## inspect and checksums (issue 3)".
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
dir="${BENCH_DIR:-/var/tmp/edgeflash-bench-inspect}"
bin=.build/release/edgeflash
swift build -c release --product edgeflash >/dev/null
mkdir -p "$dir"
iso="$dir/big.iso"

if [ ! -f "$iso" ]; then
  # Kairos-like hybrid (GRUB El Torito, ESP appended as GPT partition 2) around a 4 GiB payload.
  work="$dir/work"; rm -rf "$work"; mkdir -p "$work/root/boot/grub/i386-pc"
  grub-mkimage -O i386-pc-eltorito -o "$work/root/boot/grub/i386-pc/eltorito.img" -p /boot/grub biosdisk iso9660
  mkfs.fat -C "$work/efi.img" 4096 >/dev/null
  head -c $((4 * 1024 * 1024 * 1024 - 16 * 1024 * 1024)) /dev/urandom > "$work/root/payload.bin"
  xorriso -as mkisofs -V COS_LIVE -J -R -iso-level 3 -o "$iso" \
    -b boot/grub/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 -boot-info-table --grub2-boot-info \
    --grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img -append_partition 2 0xef "$work/efi.img" \
    -appended_part_as_gpt -partition_offset 16 --mbr-force-bootable "$work/root" >/dev/null 2>&1
  rm -rf "$work"
fi
rm -f "$iso.sha256"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { awk -v ns="$1" 'BEGIN {printf "%.1f", ns / 1e6}'; }
secs() { awk -v ns="$1" 'BEGIN {printf "%.2f", ns / 1e9}'; }
time_ns() { local t0; t0=$(now); "$@" >/dev/null 2>&1 || true; echo $(( $(now) - t0 )); }
# CPU seconds (user + system) of one run: steadier than wall time on a shared, loaded machine.
cpu_s() { /usr/bin/time -f '%U %S' -o "$dir/cpu" "$@" >/dev/null 2>&1 || true; awk '{printf "%.2f", $1 + $2}' "$dir/cpu"; }

size=$(stat -c %s "$iso")
cat "$iso" > /dev/null   # warm the cache once

# 1. inspect, structures only (what `write` runs before writing).
"$bin" inspect "$iso" >/dev/null || true
inspect=$(for _ in $(seq 1 11); do time_ns "$bin" inspect "$iso"; done | median)
# The same binary doing nothing: what of the above is process start-up (Foundation, dyld).
startup=$(for _ in $(seq 1 11); do time_ns "$bin" --version; done | median)

# Alternates `edgeflash inspect --deep` with a baseline command ROUNDS times; prints the medians:
# wall ns (ours, theirs) and CPU s (ours, theirs).
compare() {
  local ours=() theirs=() ours_cpu=() theirs_cpu=()
  for _ in $(seq 1 "$rounds"); do
    ours+=("$(time_ns "$bin" inspect --deep "$iso")"); theirs+=("$(time_ns "$@")")
    ours_cpu+=("$(cpu_s "$bin" inspect --deep "$iso")"); theirs_cpu+=("$(cpu_s "$@")")
  done
  for list in "${ours[*]}" "${theirs[*]}" "${ours_cpu[*]}" "${theirs_cpu[*]}"; do
    printf '%s\n' $list | median
  done | paste -sd' '
}

# 2. SHA-256: `inspect --deep` with IMAGE.sha256 beside it vs sha256sum. The application-use area
#    is blanked first so no implanted MD5 (from an earlier run) is checked in this phase.
dd if=/dev/zero of="$iso" bs=1 seek=$((32768 + 883)) count=512 conv=notrunc status=none
( cd "$dir" && sha256sum big.iso > big.iso.sha256 )
read -r sha_ours sha_theirs sha_ours_cpu sha_theirs_cpu < <(compare sha256sum "$iso")
"$bin" inspect --deep "$iso" | grep -q '\[ ok \] checksum' || { echo "SHA-256 check did not pass" >&2; exit 1; }
rm -f "$iso.sha256"

# 3. Implanted MD5: `inspect --deep` (no checksum file now) vs checkisomd5.
implantisomd5 --force "$iso" >/dev/null
read -r md5_ours md5_theirs md5_ours_cpu md5_theirs_cpu < <(compare checkisomd5 "$iso")
"$bin" inspect --deep "$iso" | grep -q '\[ ok \] implanted-md5' || { echo "implanted MD5 check did not pass" >&2; exit 1; }

load=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
cat <<MD
Run $(date -u +%Y-%m-%d), $(nproc) cores ($cpu), image $size bytes (4 GiB Kairos-style hybrid,
random payload), warm page cache, medians of $rounds rounds (inspect: 11), tools alternating,
load average at the end $load (the machine is shared).

| measure | edgeflash | baseline | ratio (baseline / edgeflash) | CPU s edgeflash / baseline |
| --- | --- | --- | --- | --- |
| inspect, structures only (target < 50 ms) | $(ms "$inspect") ms (process start-up alone: $(ms "$startup") ms) | | | |
| SHA-256 of the image (inspect --deep vs sha256sum, target ≥ 1.5x) | $(secs "$sha_ours") s | $(secs "$sha_theirs") s | $(awk -v a="$sha_theirs" -v b="$sha_ours" 'BEGIN {printf "%.2fx", a / b}') | $sha_ours_cpu / $sha_theirs_cpu |
| implanted MD5 (inspect --deep vs checkisomd5, target ≥ 1.0x) | $(secs "$md5_ours") s | $(secs "$md5_theirs") s | $(awk -v a="$md5_theirs" -v b="$md5_ours" 'BEGIN {printf "%.2fx", a / b}') | $md5_ours_cpu / $md5_theirs_cpu |
MD
