#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time:
#   image:  ISOVerify's parsers over an image's leading bytes (fuzz/FuzzImageStructure.swift);
#   inject: inject's planning over a stick's first and last sectors, the tables it writes read
#           back, and write's finish of a disk image's tables over the same bytes
#           (fuzz/FuzzInjectionPlanner.swift).
#   fuzz/run.sh [SECONDS] [TARGET...]   (default 60 seconds each, both targets)
# The image seeds are the leading 512 KiB of real ISOs (ipxe, grub-rescue, and a grub-mkrescue
# hybrid made on the spot), where their descriptors, boot catalogs and system areas lie. The inject
# seeds are those ISOs on a 128 MiB stick with a user-data partition added by sgdisk/sfdisk: the
# stick's first 64 KiB (MBR, GPT, the ISO's first descriptors) and last 33 sectors (backup GPT).
# Crashes are written to fuzz/artifacts/ and make the script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(image inject)
work="${FUZZ_WORK:-$(mktemp -d /tmp/edgeflash-fuzz.XXXXXX)}"
[ -n "${FUZZ_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus-image" "$work/corpus-inject" fuzz/artifacts

# ISOVerify's pure parsers only: what needs Crypto (hashing) or gpgv (signatures) is left out.
isoverify=(
  Sources/ISOVerify/Bytes/*.swift
  Sources/ISOVerify/ISO9660/*.swift
  Sources/ISOVerify/ElTorito/*.swift
  Sources/ISOVerify/SystemArea/*.swift
  Sources/ISOVerify/Verdict/*.swift
  Sources/ISOVerify/Report/ImageStructure.swift
  Sources/ISOVerify/MD5/ImplantedMD5.swift
  Sources/ISOVerify/Checksum/ExpectedChecksum.swift
  Sources/ISOVerify/Checksum/ChecksumFile.swift
)
# The DiskOps files inject's planning needs (no libblkid, libparted or devices).
diskops=(
  Sources/DiskOps/Inject/InjectionPlanner.swift
  Sources/DiskOps/Inject/InjectionSurvey.swift
  Sources/DiskOps/Partition/TargetTables.swift
  Sources/DiskOps/Partition/DiskImageFinish.swift
  Sources/DiskOps/Partition/ImageOwnTables.swift
  Sources/DiskOps/Filesystem/VolumeLabelProbe.swift
  Sources/DiskOps/Filesystem/FAT32Volume.swift
  Sources/DiskOps/Filesystem/FATDirectoryBuilder.swift
  Sources/DiskOps/Filesystem/ISO9660Volume.swift
)
# Each module static, so `import EdgeCore` and `import ISOVerify` resolve as in the package;
# ISOVerify instrumented for coverage like the targets. The linker warns about every ASan symbol
# it cannot export: noise, kept out of the output.
build() {
  swiftc -parse-as-library -O -module-name EdgeCore -emit-library -static -emit-module \
    -emit-module-path "$work/EdgeCore.swiftmodule" -o "$work/libEdgeCore.a" Sources/EdgeCore/*.swift
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name ISOVerify -emit-library -static -emit-module \
    -emit-module-path "$work/ISOVerify.swiftmodule" -o "$work/libISOVerify.a" -I "$work" -suppress-warnings "${isoverify[@]}"
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name FuzzImage -suppress-warnings \
    -I "$work" -L "$work" -lISOVerify -lEdgeCore -o "$work/fuzz-image" fuzz/FuzzImageStructure.swift
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name DiskOps -suppress-warnings \
    -I "$work" -L "$work" -lISOVerify -lEdgeCore -o "$work/fuzz-inject" "${diskops[@]}" fuzz/FuzzInjectionPlanner.swift
}
build > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

images=(/usr/lib/ipxe/ipxe.iso /usr/lib/grub-rescue/grub-rescue-cdrom.iso)
if command -v grub-mkrescue >/dev/null; then
  mkdir -p "$work/root/boot/grub" && echo 'set timeout=1' > "$work/root/boot/grub/grub.cfg"
  grub-mkrescue -o "$work/mkrescue.iso" "$work/root" >/dev/null 2>&1 && images+=("$work/mkrescue.iso")
fi
for iso in "${images[@]}"; do
  [ -f "$iso" ] || continue
  name=$(basename "$iso")
  head -c 524288 "$iso" > "$work/corpus-image/$name"
  stick="$work/stick.img"
  rm -f "$stick" && truncate -s 128M "$stick" && dd if="$iso" of="$stick" conv=notrunc status=none
  if [ "$(dd if="$stick" bs=8 skip=64 count=1 status=none | tr -d "\\0")" = "EFI PART" ]; then
    sgdisk -e -n 0:0:+34M -t 0:0700 -c 0:user-data "$stick" >/dev/null 2>&1 || true
  else
    echo "$(( ($(stat -c %s "$iso") + 1048575) / 1048576 ))MiB,34MiB,c" | sfdisk --append --no-reread -q "$stick" >/dev/null 2>&1 || true
  fi
  { head -c 65536 "$stick"; tail -c $((33 * 512)) "$stick"; } > "$work/corpus-inject/$name"
done
# A disk image made for 4096-byte sectors (its GPT at byte 4096), for the finish on a 4Kn stick;
# made through a loop device with that sector size, so only as root.
disk4k="$work/disk-4k.img"
truncate -s 64M "$disk4k"
if l=$(losetup -f --show --sector-size 4096 "$disk4k" 2>/dev/null); then
  blockdev --setrw "$l"
  sgdisk -o -n1:256:5375 -t1:ef00 -n2:5376:0 "$l" >/dev/null 2>&1 || true
  losetup -d "$l"
  { head -c 65536 "$disk4k"; tail -c $((33 * 512)) "$disk4k"; } > "$work/corpus-inject/disk-4k.img"
fi

status=0
for target in "${targets[@]}"; do
  echo "== fuzz-$target, ${seconds}s"
  max_len=1048576
  [ "$target" = image ] || max_len=131072
  "$work/fuzz-$target" "$work/corpus-$target" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 \
    -timeout=5 -artifact_prefix=fuzz/artifacts/ -print_final_stats=1 > "$work/$target.log" 2>&1 || status=$?
  tail -15 "$work/$target.log"
done
exit $status
