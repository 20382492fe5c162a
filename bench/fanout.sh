#!/usr/bin/env bash
# Benchmark of `edgeflash write IMAGE DEV DEV DEV DEV` (issue 10): the image read once and fanned
# out to several sticks. Release build; every figure from one run of this script, side by side.
#
#   bench/fanout.sh [ROUNDS] [THROTTLED_MIB] [FAST_MIB]     (defaults: 3 rounds, 256 MiB, 512 MiB)
#
# 1. Slow sticks: loop devices (--direct-io=on) limited to 40 MB/s each, reads and writes, by the
#    cgroup v1 blkio throttle (blkio.throttle.{write,read}_bps_device "7:N 40000000" in a cgroup the
#    benchmark moves itself into; this machine has no cgroup v2 io controller, and the limit applies
#    per device to the bios edgeflash submits with O_DIRECT). One stick vs four, verify on:
#    target: four in at most 1.3x the time of one.
# 2. Image bytes read: `rchar` of /proc/PID/io (every read(2)/pread(2) of the process, sampled every
#    10 ms until it exits), for four throttled sticks writing the larger image with --no-verify
#    --no-probe (so no device read-back is counted): target at most 1.05x the image's size. rchar
#    also counts the rest the process reads: one inventory of the machine's disks (libblkid probes
#    every disk, about 12 MB here, measured alone with `edgeflash list --all`). Also `rchar` of the
#    verified run, which adds the four read-backs.
# 3. Peak RSS (ru_maxrss of the child, from wait4) of one stick and of four: target
#    <= 64 MiB + 16 MiB per extra stick (112 MiB for four).
# 4. Fast sticks: four unthrottled loop devices in one `write` vs four `write`s one after another.
# Scratch files in bench/out/fanout (gitignored); loop devices and the cgroup are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
slow_mib=${2:-256}
fast_mib=${3:-512}
rate=40000000
out=bench/out/fanout
mkdir -p "$out"

swift build -c release >/dev/null
edgeflash="$(swift build -c release --show-bin-path)/edgeflash"

image() {  # size_mib -> path of an image of random bytes of that size (kept between runs)
  local path="$out/image-$1.img"
  [ -f "$path" ] && [ "$(stat -c %s "$path")" -eq $(($1 << 20)) ] || head -c $(($1 << 20)) /dev/urandom > "$path"
  echo "$path"
}
slow_image=$(image "$slow_mib")
fast_image=$(image "$fast_mib")

cgroup=/sys/fs/cgroup/blkio/edgeflash-bench-$$
sticks=()
cleanup() {
  [ -d "$cgroup" ] && { echo $$ > /sys/fs/cgroup/blkio/cgroup.procs; rmdir "$cgroup"; } || true
  for dev in "${sticks[@]}"; do losetup -d "$dev" 2>/dev/null || true; done
  rm -f "$out"/stick-*.img
}
trap cleanup EXIT
for n in 0 1 2 3 4 5 6 7; do
  truncate -s $(((fast_mib + 64) << 20)) "$out/stick-$n.img"
  dev=$(losetup --find --show --direct-io=on "$out/stick-$n.img")
  blockdev --setrw "$dev"
  sticks+=("$dev")
done
slow=("${sticks[@]:0:4}")
fast=("${sticks[@]:4:4}")

# The throttle: a blkio cgroup limiting each slow stick, which this script (and so every edgeflash
# it starts) joins for the slow runs only.
mkdir "$cgroup"
for dev in "${slow[@]}"; do
  minor=$((0x$(stat -c %T "$dev")))
  echo "7:$minor $rate" > "$cgroup/blkio.throttle.write_bps_device"
  echo "7:$minor $rate" > "$cgroup/blkio.throttle.read_bps_device"
done
throttled() { echo $BASHPID > "$cgroup/cgroup.procs"; "$@"; }

# Runs a command; prints "seconds rchar_bytes maxrss_kib" (rchar sampled until the child exits).
measure() {
  /usr/bin/python3 - "$@" <<'PY'
import os, sys, time, subprocess
start = time.monotonic()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
rchar = 0
while True:
    try:
        with open(f"/proc/{child.pid}/io") as io:
            for line in io:
                if line.startswith("rchar:"): rchar = max(rchar, int(line.split()[1]))
    except OSError:
        pass
    done, status, usage = os.wait4(child.pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.01)
seconds = time.monotonic() - start
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(f"failed: {' '.join(sys.argv[1:])}")
print(f"{seconds:.2f} {rchar} {usage.ru_maxrss}")
PY
}

write() { "$edgeflash" write "$@" --yes --log "$out/flash.jsonl"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -A times
record() { times[$1]="${times[$1]:-} $2"; printf 'round %d  %-14s %7.2f s\n' "$round" "$1" "$2" >&2; }

cat "$slow_image" "$fast_image" > /dev/null   # page-cached, as after a download
for round in $(seq 1 "$rounds"); do
  read -r s _ rss1 < <(throttled measure "$edgeflash" write "$slow_image" "${slow[0]}" --yes --log "$out/flash.jsonl")
  record slow_one "$s"
  read -r s rchar_verify rss4 < <(throttled measure "$edgeflash" write "$slow_image" "${slow[@]}" --yes --log "$out/flash.jsonl")
  record slow_four "$s"
  read -r s rchar_noverify _ < <(throttled measure "$edgeflash" write "$fast_image" "${slow[@]}" --yes --no-verify --no-probe --log "$out/flash.jsonl")
  record slow_four_noverify "$s"
  start=$(date +%s.%N)
  for dev in "${fast[@]}"; do write "$fast_image" "$dev" >/dev/null 2>&1; done
  record fast_sequential "$(printf %.2f "$(echo "$(date +%s.%N) - $start" | bc)")"
  read -r s _ rss4fast < <(measure "$edgeflash" write "$fast_image" "${fast[@]}" --yes --log "$out/flash.jsonl")
  record fast_four "$s"
done
declare -A med
for key in "${!times[@]}"; do med[$key]=$(echo "${times[$key]}" | median); done

slow_bytes=$((slow_mib << 20))
fast_bytes=$((fast_mib << 20))
read -r _ rchar_list _ < <(measure "$edgeflash" list --all)
ratio() { echo "scale=2; $1 / $2" | bc; }
mib() { echo "scale=1; $1 / 1024" | bc; }
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Images: $slow_mib MiB (slow sticks) and $fast_mib MiB (fast) of random bytes, page-cached, no checksum file (so the SHA-256 for the log is computed while writing); sticks: loop devices over sparse files, --direct-io=on"
echo
cat <<REPORT
| what | median s (of $rounds) | ratio | target |
|---|---|---|---|
| 1 slow stick (40 MB/s), write + verify | ${med[slow_one]} | 1.00 | |
| 4 slow sticks in one write, write + verify | ${med[slow_four]} | $(ratio "${med[slow_four]}" "${med[slow_one]}") x one | <= 1.3 |
| 4 slow sticks, the $fast_mib MiB image, --no-verify --no-probe | ${med[slow_four_noverify]} | | |
| 4 fast sticks, one after another (4 writes) | ${med[fast_sequential]} | 1.00 | |
| 4 fast sticks in one write | ${med[fast_four]} | $(ratio "${med[fast_four]}" "${med[fast_sequential]}") x sequential | |

Image bytes read (rchar, last round): 4 slow sticks, $fast_mib MiB image, --no-verify --no-probe: $rchar_noverify bytes = $(ratio "$rchar_noverify" "$fast_bytes") x the image (target <= 1.05; \`edgeflash list --all\` alone reads $rchar_list bytes); $slow_mib MiB image with verify (adds the 4 read-backs): $(ratio "$rchar_verify" "$slow_bytes") x.
Peak RSS (ru_maxrss, last round): 1 stick $(mib "$rss1") MiB; 4 slow sticks $(mib "$rss4") MiB; 4 fast sticks $(mib "$rss4fast") MiB (target for 4: <= 112 MiB).
REPORT
