#!/usr/bin/env bash
# Builds dist/edgeflash_<version>_<arch>.deb, a package that runs on Debian 12 without a Swift
# toolchain: a release binary with the Swift runtime and Foundation linked in
# (--static-swift-stdlib), its man page, bash/zsh/fish completions, udev rule and docs.
# Needs what scripts/setup.sh installs, plus dpkg-dev (dpkg-shlibdeps). Prints the .deb's path.
#
#   scripts/package.sh
#
# The release build lives in .build-release and is reused: packaging a new commit recompiles one C
# file (the commit `edgeflash --version` names reaches it through Package.swift from
# EDGEFLASH_COMMIT; nothing is written into the tree) and relinks. Layout, Depends, lintian:
# docs/packaging.md. scripts/package-test.sh installs the package in a clean Debian and tries it.
set -euo pipefail
cd "$(dirname "$0")/.."

commit=$(git rev-parse --short=12 HEAD)
git diff --quiet HEAD || commit+="-dirty"   # tracked files differ from the commit
export EDGEFLASH_COMMIT=$commit
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
# --disable-local-rpath: no $ORIGIN search path, nothing is loaded from beside /usr/bin/edgeflash.
build=(swift build -c release --static-swift-stdlib --disable-local-rpath --scratch-path .build-release
       --product edgeflash)
"${build[@]}" >&2   # the build's output to stderr: stdout is only the .deb's path
binary="$("${build[@]}" --show-bin-path)/edgeflash"

version=$("$binary" --version | cut -d' ' -f1)
arch=$(dpkg --print-architecture)
deb="dist/edgeflash_${version}_${arch}.deb"
work=$(mktemp -d /tmp/edgeflash-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/debian/edgeflash"   # where dpkg-shlibdeps expects a package's files

# put MODE PATH: stdin becomes $root/PATH.
put() { mkdir -p "$(dirname "$root$2")"; cat > "$root$2"; chmod "$1" "$root$2"; }

# As dh_strip does: the symbol table goes, Swift's metadata sections (needed at run time) stay.
put 0755 /usr/bin/edgeflash < "$binary"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/bin/edgeflash"

gzip -9n < man/edgeflash.1 | put 0644 /usr/share/man/man1/edgeflash.1.gz
completion() { "$root/usr/bin/edgeflash" --generate-completion-script "$1"; }
# Completion files are sourced, never run: no #! line.
completion bash | sed '1{/^#!/d}' | put 0644 /usr/share/bash-completion/completions/edgeflash
completion zsh | put 0644 /usr/share/zsh/vendor-completions/_edgeflash
completion fish | put 0644 /usr/share/fish/vendor_completions.d/edgeflash.fish
put 0644 /usr/lib/udev/rules.d/60-edgeflash.rules < udev/60-edgeflash.rules
put 0644 /usr/share/lintian/overrides/edgeflash < packaging/deb/lintian-overrides

# Documentation as dh_compress leaves it: files over 4 KiB gzipped, copyright never.
doc=/usr/share/doc/edgeflash
put 0644 $doc/copyright < packaging/deb/copyright
put 0644 $doc/README.md < README.md
for file in docs/*.md; do put 0644 "$doc/$file" < "$file"; done
maintainer=$(sed -n 's/^Maintainer: //p' packaging/deb/control)
printf 'edgeflash (%s) unstable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
    "$version" "$commit" "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")" | gzip -9n | put 0644 $doc/changelog.gz
find "$root$doc" -type f -size +4k ! -name copyright ! -name '*.gz' -exec gzip -9n {} +

# Depends: the Debian packages of the shared libraries the binary links (libc, libblkid,
# libparted, libxxhash...), as dpkg-shlibdeps finds them; adduser for postinst's group.
mkdir "$root/DEBIAN" && touch "$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O debian/edgeflash/usr/bin/edgeflash | sed -n 's/^shlibs:Depends=//p')

install -m 0755 packaging/deb/postinst packaging/deb/postrm "$root/DEBIAN/"
installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    -e "s/@SHLIBS_DEPENDS@/$shlibs/" packaging/deb/control > "$root/DEBIAN/control"
(cd "$root" && find usr -type f | sort | xargs md5sum) > "$root/DEBIAN/md5sums"
find "$root" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p dist
dpkg-deb --root-owner-group -Zxz -z9 --build "$root" "$deb" >/dev/null
echo "$deb"
