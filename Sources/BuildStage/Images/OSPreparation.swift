/// The steps CanvOS's `base-image` target adds after the checkout's own Dockerfile, for the non-UKI
/// build, as Containerfile lines with the `.arg` values written in. Pure.
enum OSPreparation {
    static let jetsonMountConfig = "cloudconfigs/mount.yaml"
    static let cisHardeningScript = "cis-harden/harden.sh"

    /// CanvOS's IS_JETSON: the base is NVIDIA's Jetson AGX Orin image.
    static func isJetson(_ arguments: BuildArguments) -> Bool {
        arguments["BASE_IMAGE"].contains("nvidia-jetson-agx-orin")
    }

    static func cisHardening(_ arguments: BuildArguments) -> Bool {
        arguments["CIS_HARDENING"] == "true" && arguments.osDistribution == "ubuntu" && arguments.arch == "amd64"
    }

    /// The checkout's files these steps copy (CanvOS's build fails without them).
    static func contextFiles(_ arguments: BuildArguments) -> [String] {
        (isJetson(arguments) ? [jetsonMountConfig] : []) + (cisHardening(arguments) ? [cisHardeningScript] : [])
    }

    static func lines(_ arguments: BuildArguments) -> [String] {
        let os = arguments.osDistribution, amd64 = arguments.arch == "amd64"
        var lines: [String] = []
        if isJetson(arguments) {
            lines += ["# A Jetson AGX Orin base: its packages write to /usr/local, overlaid onto COS_PERSISTENT at boot.",
                      "COPY \(jetsonMountConfig) /etc/kairos/mount.yaml"]
        }
        lines += [
            "# Keep the Renesas xHCI (USB 3.0) driver in the initramfs, so installing from USB works.",
            #"RUN mkdir -p /etc/dracut.conf.d && printf '%s\n' 'hostonly="no"' 'add_drivers+=" xhci_pci_renesas "' 'force_drivers+=" xhci_pci_renesas "' > /etc/dracut.conf.d/99-usb-media.conf"#,
        ]
        if os == "ubuntu" && amd64 { lines += ubuntu(arguments) }
        if os == "opensuse-leap" && amd64 { lines += openSUSE(arguments) }
        if os == "opensuse-leap" || os == "sles" {
            lines += ["RUN zypper install -y apparmor-parser apparmor-profiles rsyslog logrotate",
                      "RUN zypper cc && zypper clean",
                      "RUN if [ ! -e /usr/bin/apparmor_parser ]; then cp /sbin/apparmor_parser /usr/bin/apparmor_parser; fi"]
        }
        if os == "rhel" { lines.append("RUN yum install -y openssl rsyslog logrotate") }
        lines += kairosRelease(arguments)
        lines += [
            "RUN find /var/cache -mindepth 1 -maxdepth 1 ! -name 'cracklib' -exec rm -rf {} + && journalctl --vacuum-size=1K && rm -rf /etc/machine-id && rm -rf /var/lib/dbus/machine-id",
            "RUN touch /etc/machine-id && chmod 444 /etc/machine-id",
            "RUN rm /tmp/* -rf",
        ]
        if arguments["DISABLE_SELINUX"] == "true" {
            lines.append(#"RUN if grep "security=selinux" /etc/cos/bootargs.cfg > /dev/null; then sed -i 's/security=selinux //g' /etc/cos/bootargs.cfg; fi && if grep "selinux=1" /etc/cos/bootargs.cfg > /dev/null; then sed -i 's/selinux=1/selinux=0/g' /etc/cos/bootargs.cfg; fi"#)
        }
        lines += [
            "# cgroup v2, required for Kubernetes >= 1.31; nouveau kept out at boot (it hangs modern NVIDIA GPUs).",
            #"RUN if ! grep -Fq "systemd.unified_cgroup_hierarchy=1" /etc/cos/bootargs.cfg; then sed -i 's|\(set baseCmd="[^"]*\)"|\1 systemd.unified_cgroup_hierarchy=1"|' /etc/cos/bootargs.cfg; fi"#,
            #"RUN if ! grep -Fq "rd.driver.blacklist=nouveau" /etc/cos/bootargs.cfg; then sed -i 's|\(set baseCmd="[^"]*\)"|\1 rd.driver.blacklist=nouveau modprobe.blacklist=nouveau nouveau.modeset=0"|' /etc/cos/bootargs.cfg; fi"#,
        ]
        return lines
    }

    static func ubuntu(_ arguments: BuildArguments) -> [String] {
        let version = arguments.osVersion
        var lines = [
            "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install --no-install-recommends snapd kbd zstd vim iputils-ping bridge-utils curl tcpdump ethtool rsyslog logrotate libpam-pwquality -y",
        ]
        var upgradeFlags = "-y"
        if arguments["UPDATE_KERNEL"] == "true" {
            upgradeFlags = "-y --with-new-pkgs"
            lines.append("RUN export DEBIAN_FRONTEND=noninteractive && apt-get update && apt-get install -y linux-image-generic-hwe-\(version)")
        } else {
            lines.append(#"RUN if dpkg -l "linux-image-generic-hwe-\#(version)" > /dev/null; then apt-mark hold "linux-image-generic-hwe-\#(version)" "linux-headers-generic-hwe-\#(version)" "linux-generic-hwe-\#(version)" ; fi && if dpkg -l linux-image-generic > /dev/null; then apt-mark hold linux-image-generic linux-headers-generic linux-generic; fi"#)
        }
        lines += [
            "RUN export DEBIAN_FRONTEND=noninteractive && apt-get update && apt-get upgrade \(upgradeFlags) && apt-get install --no-install-recommends -y util-linux parted cloud-guest-utils gawk fdisk gdisk e2fsprogs dosfstools rsync cryptsetup-bin udev && latest_kernel=$(printf '%s\\n' /lib/modules/* | xargs -n1 basename | sort -V | tail -1 | awk -F '-' '{print $1\"-\"$2}') && apt-get purge -y $(dpkg -l | awk '/^ii\\s+linux-(image|headers|modules)/ {print $2}' | grep -v \"${latest_kernel}\") && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*",
            #"RUN kernel=$(ls /boot/vmlinuz-* | tail -n1) && ln -sf "${kernel#/boot/}" /boot/vmlinuz"#,
            #"RUN kernel=$(printf '%s\n' /lib/modules/* | xargs -n1 basename | sort -V | tail -1) && dracut -f "/boot/initrd-${kernel}" "${kernel}" && ln -sf "initrd-${kernel}" /boot/initrd"#,
            #"RUN kernel=$(printf '%s\n' /lib/modules/* | xargs -n1 basename | sort -V | tail -1) && depmod -a "${kernel}""#,
            "RUN if [ ! -f /usr/bin/grub2-editenv ]; then ln -s /usr/sbin/grub-editenv /usr/bin/grub2-editenv; fi",
        ]
        if cisHardening(arguments) {
            lines += ["COPY \(cisHardeningScript) /tmp/harden.sh", "RUN /tmp/harden.sh && rm /tmp/harden.sh"]
        }
        return lines
    }

    static func openSUSE(_ arguments: BuildArguments) -> [String] {
        var lines: [String] = []
        if arguments["UPDATE_KERNEL"] != "true" { lines.append("RUN zypper al kernel-de*") }
        lines += [
            "RUN zypper refresh && zypper update -y",
            #"RUN if [ -e /usr/bin/dracut ]; then kernel=$(printf '%s\n' /lib/modules/* | xargs -n1 basename | sort -V | tail -1) && depmod -a "${kernel}" && dracut -f "/boot/initrd-${kernel}" "${kernel}" && ln -sf "initrd-${kernel}" /boot/initrd; fi"#,
            "RUN zypper install -y zstd vim iputils bridge-utils curl ethtool tcpdump && zypper cc && zypper clean",
        ]
        return lines
    }

    /// CanvOS's KAIROS_RELEASE step: names the image in /etc/kairos-release.
    static func kairosRelease(_ arguments: BuildArguments) -> [String] {
        let os = arguments.osDistribution, version = arguments.osVersion
        let shown = os == "ubuntu" && (version == "22" || version == "20") ? version + ".04" : version
        let label = "\(shown)-standard-\(arguments.arch)-generic"
        let name = "kairos-core-\(os)-\(version)"
        return [#"RUN if [ -f /etc/kairos-release ]; then sed -i 's/^KAIROS_NAME=.*/KAIROS_NAME="\#(name)"/' /etc/kairos-release; sed -i '/^KAIROS_IMAGE_LABEL=/d' /etc/kairos-release; echo 'KAIROS_IMAGE_LABEL="\#(label)"' >> /etc/kairos-release; else echo 'KAIROS_NAME="\#(name)"' >> /etc/kairos-release; echo 'KAIROS_IMAGE_LABEL="\#(label)"' >> /etc/kairos-release; fi"#]
    }
}
