#!/usr/bin/env bash
# Builds the libFuzzer target over ISOVerify's parsers and runs it for a bounded time.
#   fuzz/run.sh [SECONDS]   (default 60)
# The seed corpus is the leading 512 KiB of real ISOs (ipxe, grub-rescue, and a grub-mkrescue
# hybrid made on the spot), where their descriptors, boot catalogs and system areas lie.
# Crashes are written to fuzz/artifacts/ and make the script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
work="${FUZZ_WORK:-$(mktemp -d /tmp/edgeflash-fuzz.XXXXXX)}"
[ -n "${FUZZ_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" fuzz/artifacts

# The pure parsers only: what needs Crypto (hashing) or gpgv (signatures) is left out.
sources=(
  Sources/ISOVerify/Bytes/*.swift
  Sources/ISOVerify/ISO9660/*.swift
  Sources/ISOVerify/ElTorito/*.swift
  Sources/ISOVerify/SystemArea/*.swift
  Sources/ISOVerify/Verdict/*.swift
  Sources/ISOVerify/Report/ImageStructure.swift
  Sources/ISOVerify/MD5/ImplantedMD5.swift
  Sources/ISOVerify/Checksum/ExpectedChecksum.swift
  Sources/ISOVerify/Checksum/ChecksumFile.swift
  fuzz/FuzzImageStructure.swift
)
# EdgeCore first, as its own static module, so `import EdgeCore` resolves as in the package.
swiftc -parse-as-library -O -module-name EdgeCore -emit-library -static -emit-module \
  -emit-module-path "$work/EdgeCore.swiftmodule" -o "$work/libEdgeCore.a" Sources/EdgeCore/*.swift
# The linker warns about every ASan symbol it cannot export: noise, kept out of the output.
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name ISOVerifyFuzz -suppress-warnings \
  -I "$work" -L "$work" -lEdgeCore -o "$work/fuzz-iso" "${sources[@]}" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

for iso in /usr/lib/ipxe/ipxe.iso /usr/lib/grub-rescue/grub-rescue-cdrom.iso; do
  [ -f "$iso" ] && head -c 524288 "$iso" > "$work/corpus/$(basename "$iso")"
done
if command -v grub-mkrescue >/dev/null; then
  mkdir -p "$work/root/boot/grub" && echo 'set timeout=1' > "$work/root/boot/grub/grub.cfg"
  grub-mkrescue -o "$work/mkrescue.iso" "$work/root" >/dev/null 2>&1 && head -c 524288 "$work/mkrescue.iso" > "$work/corpus/mkrescue"
fi

"$work/fuzz-iso" "$work/corpus" -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=1024 \
  -timeout=5 -artifact_prefix=fuzz/artifacts/ -print_final_stats=1 2>&1 | tail -15
