#!/usr/bin/env bash
# Benchmark of `edgeflash write` against the shell baselines (issue 2), on a loop device attached
# with --direct-io=on. Tools alternate within each round; the medians are reported.
#
#   bench/write.sh [ROUNDS] [SIZE_MIB]        (defaults: 5 rounds, 1024 MiB; EDGEFLASH_BIN=path
#                                             times that build instead of the release build)
#
# Measures, per round (seconds, wall clock):
#   dd          dd if=IMG of=DEV bs=4M oflag=direct conv=fsync
#   ef-noverify edgeflash write IMG DEV --yes --no-verify        (no checksum beside IMG)
#   ef-verify   edgeflash write IMG DEV --yes                    (read-back verify, no checksum)
#   careful     sha256sum -c IMG.sha256 && dd ... && dd iflag=direct | cmp   (the careful shell user)
#   ef-sha256   edgeflash write IMG DEV --yes                    (IMG.sha256 beside it: hash + write + verify)
#   bmaptool    bmaptool copy --bmap IMG.bmap IMG DEV            (bmap made once, outside the timing)
#   dd_readback dd write as above, then dd if=DEV iflag=direct bs=4M of=/dev/null: the floor for any
#               tool that reads the device back after writing it
#   dd_concurrent the same dd write and dd read started together: what the device gives a write and
#               a read at once, the floor for a read-back that would overlap the write
# and the peak RSS of `edgeflash write` (with IMG.sha256, verify on) for SIZE_MIB and 4x SIZE_MIB.
# Scratch files live in bench/out/ (gitignored); the loop device is detached on exit. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
size_mib=${2:-1024}
out=bench/out/write
mkdir -p "$out/plain" "$out/checked"

if [ -z "${EDGEFLASH_BIN:-}" ]; then
  swift build -c release --product edgeflash >/dev/null
  EDGEFLASH_BIN="$(swift build -c release --show-bin-path)/edgeflash"
fi
edgeflash=$EDGEFLASH_BIN

plain="$out/plain/image.img"       # no checksum beside it
checked="$out/checked/image.img"   # IMG.sha256 beside it
if [ ! -f "$plain" ] || [ "$(stat -c %s "$plain")" -ne $((size_mib << 20)) ]; then
  head -c $((size_mib << 20)) /dev/urandom > "$plain"
fi
ln -f "$plain" "$checked"
(cd "$out/checked" && sha256sum image.img > image.img.sha256)
bmaptool create "$plain" > "$out/plain/image.bmap" 2>/dev/null

stick="$out/stick.img"
truncate -s $(((size_mib + 64) << 20)) "$stick"
dev=$(losetup --find --show --direct-io=on "$stick")
big_dev=""
cleanup() {
  losetup -d "$dev" 2>/dev/null || true
  [ -n "$big_dev" ] && losetup -d "$big_dev" 2>/dev/null || true
  rm -f "$stick" "$out/big-stick.img"
}
trap cleanup EXIT
count=$((size_mib / 4))  # 4 MiB blocks in the image

run_dd()          { dd if="$plain" of="$dev" bs=4M oflag=direct conv=fsync status=none; }
run_ef_noverify() { "$edgeflash" write "$plain" "$dev" --yes --no-verify >/dev/null 2>&1; }
run_ef_verify()   { "$edgeflash" write "$plain" "$dev" --yes >/dev/null 2>&1; }
run_careful()     {
  (cd "$out/checked" && sha256sum --quiet -c image.img.sha256) &&
  dd if="$checked" of="$dev" bs=4M oflag=direct conv=fsync status=none &&
  dd if="$dev" bs=4M iflag=direct count="$count" status=none | cmp - "$checked"
}
run_ef_sha256()   { "$edgeflash" write "$checked" "$dev" --yes >/dev/null 2>&1; }
run_dd_readback() { run_dd && dd if="$dev" of=/dev/null bs=4M iflag=direct count="$count" status=none; }
run_dd_concurrent() {
  dd if="$plain" of="$dev" bs=4M oflag=direct conv=fsync status=none &
  dd if="$dev" of=/dev/null bs=4M iflag=direct count="$count" status=none
  wait
}
run_bmaptool()    { bmaptool -q copy --bmap "$out/plain/image.bmap" "$plain" "$dev" >/dev/null 2>&1; }

tools=(dd ef_noverify ef_verify dd_readback dd_concurrent careful ef_sha256 bmaptool)
source bench/rounds.sh

# Warm-up: the image is read from the page cache by every tool, as after a download.
cat "$plain" > /dev/null
run_rounds "$rounds"
for tool in "${tools[@]}"; do echo "rounds $tool:$(echo "${times[$tool]}" | tr ' ' '\n' | grep -v '^$' | sort -g | xargs printf ' %.2f')"; done

# Peak RSS: the full path (checksum + write + verify), for SIZE_MIB and 4x SIZE_MIB.
rss() {  # image device -> max RSS in MiB
  /usr/bin/time -v "$edgeflash" write "$1" "$2" --yes 2>&1 >/dev/null | awk '/Maximum resident/ {printf "%.1f", $6/1024}'
}
rss_small=$(rss "$checked" "$dev")
big="$out/checked/big.img"
head -c $((4 * size_mib << 20)) /dev/urandom > "$big"
(cd "$out/checked" && sha256sum big.img > big.img.sha256)
truncate -s $(((4 * size_mib + 64) << 20)) "$out/big-stick.img"
big_dev=$(losetup --find --show --direct-io=on "$out/big-stick.img")
rss_big=$(rss "$big" "$big_dev")
rm -f "$big" "$big.sha256"

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Image: $size_mib MiB of random bytes (page-cached); device: loop device over a sparse file on $(df --output=fstype "$out" | tail -1), --direct-io=on"
echo
ratio() { echo "scale=2; $1 / $2" | bc; }
cat <<REPORT
| what | median s (of $rounds) | ratio | target |
|---|---|---|---|
| dd bs=4M oflag=direct conv=fsync | ${med[dd]} | 1.00 | |
| edgeflash write --no-verify | ${med[ef_noverify]} | $(ratio "${med[ef_noverify]}" "${med[dd]}") x dd | <= 1.0 |
| edgeflash write (read-back verify) | ${med[ef_verify]} | $(ratio "${med[ef_verify]}" "${med[dd]}") x dd | <= 1.6 |
| dd write, then dd iflag=direct read-back | ${med[dd_readback]} | $(ratio "${med[dd_readback]}" "${med[dd]}") x dd | |
| dd write and dd read at once (the floor for a read-back overlapped with the write) | ${med[dd_concurrent]} | $(ratio "${med[dd_concurrent]}" "${med[dd_readback]}") x dd+dd | |
| edgeflash write (read-back verify) against dd write then dd read | ${med[ef_verify]} | $(ratio "${med[ef_verify]}" "${med[dd_readback]}") x dd+dd | <= 0.7 |
| sha256sum -c && dd && dd iflag=direct \| cmp | ${med[careful]} | 1.00 | |
| edgeflash write, IMG.sha256 beside it | ${med[ef_sha256]} | $(ratio "${med[ef_sha256]}" "${med[careful]}") x careful | <= 0.6 |
| bmaptool copy (bmap made beforehand) | ${med[bmaptool]} | $(ratio "${med[bmaptool]}" "${med[dd]}") x dd | |

Peak RSS (/usr/bin/time -v) of edgeflash write (IMG.sha256 beside it, verify on): ${size_mib} MiB image ${rss_small} MiB, $((4 * size_mib)) MiB image ${rss_big} MiB (target <= 64 MiB).
REPORT
