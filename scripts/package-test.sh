#!/usr/bin/env bash
# Proof that the .deb works where there is no Swift: builds it (scripts/package.sh), checks it with
# lintian, makes a clean Debian 12 root filesystem from this machine's package source (mmdebstrap),
# installs the package there with apt, and runs edgeflash as a technician would: --version, --help,
# its man page, bash completion, inspect on a real ISO, and a verified write to a loop device made
# here. Then purges it and shows what is left. Needs root (chroot, loop device); .ci/run runs it
# after the tests. What it prints is explained in docs/packaging.md.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=(mmdebstrap lintian dpkg-dev hyperfine)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "scripts/package.sh"
deb=$(./scripts/package.sh)
commit=$(git rev-parse --short=12 HEAD)
ls -l "$deb"

work=$(mktemp -d /tmp/edgeflash-package-test.XXXXXX)
root="$work/root"
stick_file="$work/stick.img"
stick=""
cleanup() {
  for mount in dev sys proc; do
    mountpoint -q "$root/$mount" && umount "$root/$mount"
  done
  [ -n "$stick" ] && losetup -d "$stick"
  # --one-file-system: never follow a mount that is still there into the host's /dev.
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

step "lintian $deb   (errors fail; each tag counted; reasons in docs/packaging.md)"
lintian --fail-on error "$deb" > "$work/lintian" 2>&1 || { cat "$work/lintian"; fail "lintian found errors"; }
grep -E '^[EWI]: ' "$work/lintian" | cut -d' ' -f1-3 | sort | uniq -c
echo "overridden: $(grep -v '^#' packaging/deb/lintian-overrides)"

# The Debian entries of this machine's own sources; Valid-Until unchecked, as this machine's apt
# does (its source may be a snapshot).
mapfile -t sources < <(grep -lE '^[^#]*(deb|snapshot)\.debian\.org' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null)
step "mmdebstrap --variant=apt --include=man-db bookworm   (sources: ${sources[*]})"
SECONDS=0
mmdebstrap --quiet --variant=apt --include=man-db --skip=cleanup/apt/lists \
    --aptopt='Acquire::Check-Valid-Until "false"' bookworm "$root" "${sources[@]}"
echo "clean Debian 12 in ${SECONDS}s; swift in it: $(chroot "$root" sh -c 'command -v swift || echo none')"

# Everything on the root filesystem but what runs and apt's and dpkg's own bookkeeping: compared
# after the purge.
state() (
  prune=(\( -path ./tmp -o -path ./run -o -path ./var/lib/apt -o -path ./var/lib/dpkg
               -o -path ./var/cache -o -path ./var/log \) -prune -o)
  cd "$root"
  find . -xdev "${prune[@]}" -type f -print0 | sort -z | xargs -0 md5sum
  find . -xdev "${prune[@]}" ! -type f -print | sort
)
state > "$work/before"

in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
# apt_list HEADER: the line of apt's output that starts with HEADER and the indented lines below it.
apt_list() { awk -v header="$1" 'index($0, header) == 1 { on = 1; print; next } on && /^  / { print; next } { on = 0 }' "$work/apt.log"; }
# No /dev/pts in the chroot: dpkg's output is not run through a pseudo-terminal.
apt_in_root() { in_root apt-get -y -q -o Dpkg::Use-Pty=0 "$@" > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get $*"; }; }
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
iso=/usr/lib/ipxe/ipxe.iso   # a real hybrid ISO from Debian's ipxe package
cp "$deb" "$iso" "$root/tmp/"

step "apt-get install ./$(basename "$deb")   (inside the chroot)"
apt_in_root install "/tmp/$(basename "$deb")"
apt_list "The following NEW packages"
in_root dpkg-query -W -f='${Package} ${Version} ${Status}\n' edgeflash
echo "group: $(in_root getent group edgeflash)"

step "edgeflash --version"
version=$(in_root edgeflash --version)
echo "$version"
[[ $version == *"(commit $commit"* ]] || fail "--version does not name commit $commit"

step "edgeflash --help   (first lines)"
in_root edgeflash --help > "$work/help"
head -4 "$work/help"
grep -q 'write' "$work/help" || fail "--help does not list write"

step "man -w edgeflash"
man_path=$(in_root man -w edgeflash)
echo "$man_path"
[ "$man_path" = /usr/share/man/man1/edgeflash.1.gz ] || fail "man page not found"
in_root sh -c 'MANWIDTH=80 man -P cat edgeflash 2>/dev/null' | sed -n '1,4p'

step "bash completion of: edgeflash wr<TAB>"
completion=$(in_root bash -c '
  source /usr/share/bash-completion/completions/edgeflash
  function=$(complete -p edgeflash | sed -E "s/.*-F ([^ ]+).*/\1/")
  COMP_WORDS=(edgeflash wr); COMP_CWORD=1; COMP_LINE="edgeflash wr"; COMP_POINT=${#COMP_LINE}
  "$function" edgeflash wr edgeflash
  echo "$function -> ${COMPREPLY[*]}"')
echo "$completion"
[[ $completion == *"-> write" ]] || fail "completion of wr is not write"

step "edgeflash inspect /tmp/ipxe.iso"
in_root edgeflash inspect /tmp/ipxe.iso

truncate -s 64M "$stick_file"
stick=$(losetup --find --show --direct-io=on "$stick_file")
blockdev --setrw "$stick"
step "edgeflash write /tmp/ipxe.iso $stick --yes   (a loop device made on the host, verify on)"
in_root edgeflash write /tmp/ipxe.iso "$stick" --yes
step "edgeflash verify /tmp/ipxe.iso --against $stick"
in_root edgeflash verify /tmp/ipxe.iso --against "$stick"
size=$(stat -c %s "$iso")
cmp -n "$size" "$iso" "$stick" || fail "the stick is not the image"
echo "host: cmp of the image and the first $size bytes of $stick: same"

step "start-up of the installed edgeflash --version, 200 runs   (measured, not asserted)"
hyperfine -N --warmup 10 --runs 200 --export-json "$work/startup.json" \
    "chroot $root /usr/bin/edgeflash --version" "chroot $root /bin/true" > /dev/null 2>&1 || fail "hyperfine"
/usr/bin/python3 - "$work/startup.json" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    print(f"median {result['median'] * 1000:5.1f} ms  (user {result['user'] * 1000:.1f} ms, "
          f"system {result['system'] * 1000:.1f} ms)  {result['command']}")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

step "apt-get purge --autoremove edgeflash"
apt_in_root purge --autoremove edgeflash
apt_list "The following packages will be REMOVED"
for mount in dev sys proc; do umount "$root/$mount"; done
state > "$work/after"

step "what the purge left, against the clean root filesystem"
left=$({ diff "$work/before" "$work/after" || true; } | sed -nE 's/^[<>] ([0-9a-f]{32}  )?//p' | sort -u)
echo "differs from the clean root filesystem: ${left:-nothing}" | paste -sd' '

# The group stays, as Debian leaves system groups (files may still carry its id): it is in
# /etc/group and /etc/gshadow, and in adduser's backups of them (group-, gshadow-). Anything else
# is a leftover.
unexpected=$(echo "$left" | grep -vE '^\./etc/(group|gshadow)-?$' || true)
[ -z "$unexpected" ] || fail "the purge left more than the edgeflash group"
echo "kept: the group, $(grep '^edgeflash:' "$root/etc/group") (no members); edgeflash writes no log directory"
echo
echo "package-test: all checks passed ($deb)"
