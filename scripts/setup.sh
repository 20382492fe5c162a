#!/usr/bin/env bash
# Installs what edgeflash needs to build and to run its tests on Debian 12, then builds it.
# Run as root (or with sudo). Safe to run again.
set -euo pipefail

packages=(
  # Linked by edgeflash itself.
  libblkid-dev libparted-dev libxxhash-dev zlib1g-dev liblzma-dev libzstd-dev
  # Used by edgeflash at run time: ISO staging (xorriso), GPG signatures (gpgv), the ISO built
  # from an image (mksquashfs; grub-mkimage and GRUB's modules, mkfs.fat and mtools are below).
  xorriso gpgv squashfs-tools
  # Used by the tests to make and check real images, volumes and devices.
  util-linux e2fsprogs dosfstools mtools gdisk fdisk isomd5sum genisoimage gnupg
  cpio zstd xz-utils kmod file
  # Formats edgeflash refuses by name (ImageContentTests, ImageInputTests make them).
  bzip2 lz4 lzip zip
  # The fault harness: faulty sticks served by FUSE (scripts/fixtures/faultydisk.py).
  python3-fusepy
  # The udev rules engine (udevadm test), to check udev/60-edgeflash.rules.
  udev
  # Real ISOs that no one here wrote, and what the boot tests build and boot.
  ipxe grub-rescue-pc grub-pc-bin grub-efi-amd64-bin grub-common busybox-static
  qemu-system-x86 ovmf
  # build images: the engines it drives (buildah, podman), and what its tests use to serve, inspect
  # and unpack real images (a registry on 127.0.0.1, skopeo, umoci).
  buildah podman skopeo umoci docker-registry
  # and docker: its tests start a dockerd of their own (--iptables=false).
  docker.io
  # build iso --from-image unpacks images with skopeo and umoci (above); its tests set and read a
  # file capability in them.
  libcap2-bin
  # Baselines the benchmarks compare against.
  bmap-tools pv time
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cd "$(dirname "$0")/.."
swift build
