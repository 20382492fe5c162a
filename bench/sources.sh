#!/usr/bin/env bash
# Benchmark of compressed, mapped and sparse sources (issue 11) against the shell baselines, on a
# loop device attached with --direct-io=on. Tools alternate within each round; medians reported.
#
#   bench/sources.sh [ROUNDS] [SIZE_MIB]      (defaults: 5 rounds, 512 MiB compressed images)
#
# Images (made once, kept in bench/out/sources, gitignored):
#   content   SIZE_MIB of /usr/lib's files concatenated (programs and libraries: compress ~3:1,
#             as an installer's contents do)
#   .xz       xz -T2 -2 (multi-block: a block per 6 MiB, as xz -T0 makes them)
#   .zst      zstd -T2 -3;  .gz  gzip -6
#   sparse    1 GiB raw image, 30% data (3 MiB of content every 10 MiB), holes elsewhere
#   sparse.bmap   bmaptool create of it (SHA-256 per range)
# Per round (seconds, wall clock):
#   xz_dd      xz -dc IMG.xz | dd of=DEV bs=4M iflag=fullblock oflag=direct conv=fsync
#   ef_xz      edgeflash write IMG.xz DEV --yes (read-back verify on; --no-probe in every edgeflash run)
#   ef_xz_nv   the same with --no-verify
#   zstd_dd / ef_zstd / ef_zstd_nv, gzip_dd / ef_gzip / ef_gzip_nv: the same for .zst and .gz
#   zstd_null  zstd -dc IMG.zst > /dev/null: the decoder alone, the floor of any zstd write here
#   zstd_dd_rb zstd_dd, then the written bytes read back (dd iflag=direct to /dev/null): the least a
#              shell write that checks the stick costs (it does not even compare)
#   bmaptool   bmaptool copy --bmap sparse.bmap sparse DEV  (checks each range's SHA-256)
#   ef_bmap    edgeflash write sparse DEV --bmap sparse.bmap --yes (range checksums + read-back)
#   dd_sparse  dd if=sparse of=DEV bs=4M oflag=direct conv=fsync  (the whole file)
#   ef_sparse  edgeflash write sparse DEV --no-bmap --yes  (SEEK_DATA/SEEK_HOLE, holes BLKZEROOUT, read-back)
#   io_floor   bench/io-floor.py: the data extents written, then read back, and nothing else: the
#              I/O floor of a verified sparse write (no hashing, no comparing, no program start-up)
# and the peak RSS (/usr/bin/time -v) of every edgeflash run. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
size_mib=${2:-512}
out=bench/out/sources
mkdir -p "$out"

if [ -z "${EDGEFLASH_BIN:-}" ]; then
  swift build -c release --product edgeflash >/dev/null
  EDGEFLASH_BIN="$(swift build -c release --show-bin-path)/edgeflash"
fi
edgeflash=$EDGEFLASH_BIN

content="$out/content.img"
if [ ! -f "$content" ] || [ "$(stat -c %s "$content")" -ne $((size_mib << 20)) ]; then
  rm -f "$content".*
  find /usr/lib -type f -size +64k -print0 2>/dev/null | sort -z | xargs -0 cat 2>/dev/null | head -c $((size_mib << 20)) > "$content"
fi
[ -f "$content.xz" ] || xz -k -T2 -2 "$content"
[ -f "$content.zst" ] || zstd -q -k -T2 -3 "$content"
[ -f "$content.gz" ] || gzip -k -6 "$content"
sparse="$out/sparse.img"
if [ ! -f "$sparse" ]; then
  truncate -s 1G "$sparse"
  for i in $(seq 0 102); do
    dd if="$content" of="$sparse" bs=1M count=3 skip=$(( (i * 3) % (size_mib - 3) )) seek=$((i * 10)) conv=notrunc status=none
  done
  bmaptool create -o "$sparse.bmap" "$sparse" 2>/dev/null
fi

stick="$out/stick.img"
truncate -s 1100M "$stick"
dev=$(losetup --find --show --direct-io=on "$stick")
trap 'losetup -d "$dev" 2>/dev/null || true; rm -f "$stick"' EXIT

rssfile="$out/rss"
: > "$rssfile"
ef() { /usr/bin/time -f %M -a -o "$rssfile" "$edgeflash" write "$@" "$dev" --yes --no-probe >/dev/null 2>&1; }
pipe_dd() { "$@" | dd of="$dev" bs=4M iflag=fullblock oflag=direct conv=fsync status=none; }
run_xz_dd()      { pipe_dd xz -dc "$content.xz"; }
run_ef_xz()      { ef "$content.xz"; }
run_ef_xz_nv()   { ef "$content.xz" --no-verify; }
run_zstd_dd()    { pipe_dd zstd -dcq "$content.zst"; }
run_ef_zstd()    { ef "$content.zst"; }
run_ef_zstd_nv() { ef "$content.zst" --no-verify; }
run_zstd_null()  { zstd -dcq "$content.zst" > /dev/null; }
run_zstd_dd_rb() { run_zstd_dd; dd if="$dev" of=/dev/null bs=4M iflag=direct count=$((size_mib / 4)) status=none; }
run_gzip_dd()    { pipe_dd gzip -dc "$content.gz"; }
run_ef_gzip()    { ef "$content.gz"; }
run_ef_gzip_nv() { ef "$content.gz" --no-verify; }
run_bmaptool()   { bmaptool -q copy --bmap "$sparse.bmap" "$sparse" "$dev" >/dev/null 2>&1; }
run_ef_bmap()    { ef "$sparse" --bmap "$sparse.bmap"; }
run_dd_sparse()  { dd if="$sparse" of="$dev" bs=4M oflag=direct conv=fsync status=none; }
run_ef_sparse()  { ef "$sparse" --no-bmap; }
run_io_floor()   { /usr/bin/python3 bench/io-floor.py "$sparse" "$dev"; }  # the system python: 0.01 s to start (a pyenv shim: 0.13 s)

tools=(xz_dd ef_xz ef_xz_nv zstd_dd ef_zstd ef_zstd_nv zstd_null zstd_dd_rb gzip_dd ef_gzip ef_gzip_nv bmaptool ef_bmap dd_sparse ef_sparse io_floor)
source bench/rounds.sh
cat "$content".* "$sparse" > /dev/null   # page-cached, as after a download
run_rounds "$rounds"
ratio() { echo "scale=2; $1 / $2" | bc; }
size() { du -m --apparent-size "$1" | cut -f1; }

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Images: $size_mib MiB of /usr/lib files; .xz $(size "$content.xz") MiB ($(xz -lv "$content.xz" | awk '/Blocks:/ {print $2; exit}') blocks), .zst $(size "$content.zst") MiB, .gz $(size "$content.gz") MiB; sparse 1024 MiB with $(du -m "$sparse" | cut -f1) MiB of data"
echo
cat <<REPORT
| what | median s (of $rounds) | ratio | target |
|---|---|---|---|
| \`xz -dc \| dd bs=4M oflag=direct\` | ${med[xz_dd]} | 1.00 | |
| \`edgeflash write IMG.xz\` (read-back verify) | ${med[ef_xz]} | $(ratio "${med[xz_dd]}" "${med[ef_xz]}") x as fast | >= 1.5 x as fast |
| \`edgeflash write IMG.xz --no-verify\` | ${med[ef_xz_nv]} | $(ratio "${med[xz_dd]}" "${med[ef_xz_nv]}") x as fast | |
| \`zstd -dc \| dd\` | ${med[zstd_dd]} | 1.00 | |
| \`edgeflash write IMG.zst\` (read-back verify) | ${med[ef_zstd]} | $(ratio "${med[ef_zstd]}" "${med[zstd_dd]}") x | <= 1.0 |
| \`edgeflash write IMG.zst --no-verify\` | ${med[ef_zstd_nv]} | $(ratio "${med[ef_zstd_nv]}" "${med[zstd_dd]}") x | |
| \`zstd -dc > /dev/null\` (the decoder alone: the floor) | ${med[zstd_null]} | $(ratio "${med[zstd_null]}" "${med[zstd_dd]}") x | |
| \`zstd -dc \| dd\`, then read back with dd (no compare) | ${med[zstd_dd_rb]} | $(ratio "${med[zstd_dd_rb]}" "${med[zstd_dd]}") x | |
| \`gzip -dc \| dd\` | ${med[gzip_dd]} | 1.00 | |
| \`edgeflash write IMG.gz\` (read-back verify) | ${med[ef_gzip]} | $(ratio "${med[ef_gzip]}" "${med[gzip_dd]}") x | <= 1.0 |
| \`edgeflash write IMG.gz --no-verify\` | ${med[ef_gzip_nv]} | $(ratio "${med[ef_gzip_nv]}" "${med[gzip_dd]}") x | |
| \`bmaptool copy\` (range SHA-256s) | ${med[bmaptool]} | 1.00 | |
| \`edgeflash write --bmap\` (range SHA-256s + read-back) | ${med[ef_bmap]} | $(ratio "${med[ef_bmap]}" "${med[bmaptool]}") x | <= 1.0 |
| \`dd\` of the whole 1 GiB sparse file | ${med[dd_sparse]} | 1.00 | |
| \`edgeflash write\` sparse, no bmap (holes zeroed, read-back) | ${med[ef_sparse]} | $(ratio "${med[ef_sparse]}" "${med[dd_sparse]}") x | <= 0.6 |
| its I/O floor: the data written, then read back (\`bench/io-floor.py\`) | ${med[io_floor]} | $(ratio "${med[io_floor]}" "${med[dd_sparse]}") x | |

Rounds (s): $(for tool in "${tools[@]}"; do printf '%s %s; ' "$tool" "$(echo "${times[$tool]}" | tr ' ' '\n' | grep -v '^$' | sort -g | xargs)"; done)
Peak RSS of every edgeflash run: max $(sort -n "$rssfile" | tail -1 | awk '{printf "%.1f", $1/1024}') MiB, median $(median < "$rssfile" | awk '{printf "%.1f", $1/1024}') MiB (target < 64 MiB).
REPORT
