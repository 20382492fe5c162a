#!/usr/bin/env bash
# The main job on an embedded default: a technician's day in small. One installer ISO, two virtual
# USB sticks (sparse files on loop devices) and two sites from examples/sites.csv; one `write` puts
# the image on both sticks side by side (read once, each stick verified from the device) and gives
# each stick its own site's user-data. Then the flash log says which stick got what, `check` reads
# each stick back and names its image and site, and an independent check (cmp, mtools) confirms it.
# Needs root for the loop devices.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null

image=${1:-/usr/lib/ipxe/ipxe.iso}   # a real hybrid ISO from Debian's ipxe package
template=examples/site-template.yaml
sites=examples/sites.csv
work=$(mktemp -d /tmp/edgeflash-demo.XXXXXX)
log="$work/flash.jsonl"
sticks=()
cleanup() {
    for stick in "${sticks[@]}"; do losetup -d "$stick" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
for name in stick-1 stick-2; do
    truncate -s 96M "$work/$name.img"
    stick=$(losetup --find --show --direct-io=on "$work/$name.img")
    blockdev --setrw "$stick"   # a read-only flag outlives a previous attach of this loop number
    sticks+=("$stick")
done
edgeflash="$(swift build --show-bin-path)/edgeflash"

echo "Virtual sticks: ${sticks[*]} (96 MiB each, sparse files in $work)"
echo "Sites: $(cut -d, -f1 "$sites" | tail -n +2 | paste -sd' ')  (from $sites)"
echo
echo "== edgeflash write $image ${sticks[*]} --user-data $template --sites $sites --next --yes"
"$edgeflash" write "$image" "${sticks[@]}" --user-data "$template" --sites "$sites" --next --yes --log "$log"
echo
echo "== edgeflash log"
"$edgeflash" log --log "$log"
echo

for stick in "${sticks[@]}"; do
    echo "== edgeflash check $stick   (what is on this stick: which image, which site)"
    "$edgeflash" check "$stick" --log "$log"
    echo
done

size=$(stat -c %s "$image")
ok=yes
echo "Summary (checked without edgeflash)"
for index in "${!sticks[@]}"; do
    stick=${sticks[$index]}
    site=$(sed -n "$((index + 2))p" "$sites" | cut -d, -f1)
    # The image's bytes, but the MBR's partition entries (446-509) where the user-data partition was added.
    if cmp -s -n 446 "$image" "$stick" && cmp -s -i 510 -n $((size - 510)) "$image" "$stick"; then same=yes; else same=NO; ok=no; fi
    # The user-data volume, read from the stick's bytes at its partition's offset (the backing file).
    file="$work/stick-$((index + 1)).img"
    start=$(sfdisk -d "$file" | awk -F'[=,]' '/start=/{s=$2} END{print s * 512}')
    hostname=$(mtype -i "$file@@$start" ::user-data | sed -n 's/^    name: "\(.*\)"$/\1/p')
    instance=$(mtype -i "$file@@$start" ::meta-data | sed 's/instance-id: //')
    [ "$hostname" = "edge-$site-01" ] || ok=no
    echo "  $stick: image intact: $same; site: $site (user-data names $hostname, instance-id $instance)"
done
echo "  flash log:  $(wc -l <"$log") records in $log (removed on exit)"
[ "$ok" = yes ]
