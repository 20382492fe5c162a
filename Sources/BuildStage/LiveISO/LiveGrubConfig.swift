/// The GRUB configurations of the live ISO. `/boot/grub2/grub.cfg` is the checkout's
/// `overlay/files-iso/boot/grub2/grub.cfg` with `{{DEFAULT_ENTRY}}` set, or, without an overlay,
/// a built-in menu equivalent to CanvOS's. The embedded one is built into GRUB's images: it finds
/// the ISO by `/boot/kernel` (on a CD, a stick, or from the EFI partition) and loads the menu.
public enum LiveGrubConfig {
    public static let placeholder = "{{DEFAULT_ENTRY}}"
    public static let menuPath = "/boot/grub2/grub.cfg"

    /// CanvOS's rule: the interactive installer (menu entry 2) when FORCE_INTERACTIVE_INSTALL=true.
    public static func defaultEntry(forceInteractiveInstall: Bool) -> String { forceInteractiveInstall ? "2" : "0" }

    public static func fromOverlay(_ text: String, forceInteractiveInstall: Bool) -> String {
        text.replacingOccurrences(of: placeholder, with: defaultEntry(forceInteractiveInstall: forceInteractiveInstall))
    }

    public static let embedded = """
        search --no-floppy --file --set=root /boot/kernel
        set prefix=($root)/boot/grub2
        configfile $prefix/grub.cfg

        """

    /// The kernel command line every entry shares: the live root found by the ISO's label.
    static let liveArguments = "cdroot root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs net.ifnames=1 rd.cos.disable"
    static let installerArguments = "selinux=0 rd.live.overlay.overlayfs rd.immucore.sysrootwait=600 systemd.unified_cgroup_hierarchy=1"
    /// The last console= is /dev/console: the serial port, which boot tests and BMC consoles read.
    static let consoles = "console=tty1 console=ttyS0,115200n8"

    public static func builtIn(forceInteractiveInstall: Bool) -> String {
        func entry(_ title: String, _ extra: String) -> String {
            """
            menuentry "\(title)" --class os --unrestricted {
                echo Loading kernel...
                linux ($root)/boot/kernel \(liveArguments) $videoparams \(installerArguments)\(extra) \(consoles)
                echo Loading initrd...
                initrd ($root)/boot/initrd
            }

            """
        }
        return """
            search --no-floppy --file --set=root /boot/kernel
            set default=\(defaultEntry(forceInteractiveInstall: forceInteractiveInstall))
            set timeout=2
            set timeout_style=menu

            # vga= asks the legacy video BIOS for a framebuffer; UEFI has none.
            if [ "${grub_platform}" = "efi" ]; then
                set videoparams=""
            else
                set videoparams="vga=795 nomodeset"
            fi


            """ + entry("Palette eXtended Kubernetes Edge Installer", " nodepair.enable")
            + entry("Palette eXtended Kubernetes Edge Installer (manual)", "")
            + entry("Palette Edge Interactive Installer", " nodepair.enable interactive-install")
    }
}
