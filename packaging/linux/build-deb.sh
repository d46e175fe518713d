#!/usr/bin/env bash
# Builds procore-uploader_VERSION_ARCH.deb with PyInstaller and Debian's own tools.
#
#   packaging/linux/build-deb.sh [--out DIR] [--python PYTHON]
#
# Needs: the project installed in PYTHON (pip install -e ".[test]" brings PyInstaller),
# dpkg-deb, fakeroot. The package installs the app under /opt/procore-uploader, a launcher
# /usr/bin/procore-uploader, the .desktop entry (files dropped on the icon open in the app) and
# the icons in the hicolor theme. dpkg's triggers (desktop-file-utils, the icon cache) refresh
# menus and icons, so the package needs no maintainer scripts and removing it leaves nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/build/deb"
PYTHON=${PYTHON:-python3}
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --python) PYTHON=$2; shift 2 ;;
    *) echo "usage: $0 [--out DIR] [--python PYTHON]" >&2; exit 2 ;;
  esac
done

NAME=procore-uploader
VERSION=$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("procore-uploader"))')
ARCH=$(dpkg --print-architecture)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "building $NAME $VERSION ($ARCH) with PyInstaller" >&2
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath "$WORK/dist" \
  --workpath "$WORK/pyinstaller" "$ROOT/packaging/procore-uploader.spec" >&2

PKG="$WORK/pkg"
install -d "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
  "$PKG/usr/share/doc/$NAME" "$PKG/usr/share/icons/hicolor/scalable/apps"
cp -a "$WORK/dist/$NAME" "$PKG/opt/$NAME"
ln -s "/opt/$NAME/$NAME" "$PKG/usr/bin/$NAME"
install -m 644 "$ROOT/resources/$NAME.desktop" "$PKG/usr/share/applications/$NAME.desktop"
install -m 644 "$ROOT/resources/$NAME.svg" "$PKG/usr/share/icons/hicolor/scalable/apps/$NAME.svg"
for png in "$ROOT"/resources/"$NAME"-*.png; do
  size=${png##*-}; size=${size%.png}
  install -D -m 644 "$png" "$PKG/usr/share/icons/hicolor/${size}x${size}/apps/$NAME.png"
done
"$PYTHON" "$ROOT/packaging/write-licences.py" "$PKG/usr/share/doc/$NAME/copyright"

# Runtime libraries the bundle links to but does not carry (PyInstaller leaves out libc, GL and
# a few more on purpose): their Debian packages become Depends, found with dpkg -S.
mapfile -t elves < <(find "$PKG/opt/$NAME" -type f \( -name '*.so*' -o -perm -u+x \) \
  -exec sh -c 'head -c4 "$1" | grep -q "ELF" && echo "$1"' _ {} \;)
libdirs=$(find "$PKG/opt/$NAME" -type d | paste -sd: -)
system_libs=$(LD_LIBRARY_PATH="$libdirs" ldd "${elves[@]}" 2>/dev/null \
  | awk '/=> \// {print $3}' | grep -v "^$PKG" | sort -u)
depends=$(for lib in $system_libs; do
            dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true
          done | cut -d: -f1 | sort -u | paste -sd, - | sed 's/,/, /g')
[ -n "$depends" ] || { echo "found no runtime library packages" >&2; exit 1; }

cat > "$PKG/DEBIAN/control" <<CONTROL
Package: $NAME
Version: $VERSION
Architecture: $ARCH
Maintainer: Procore Uploader maintainers <procore-uploader@users.noreply.github.com>
Installed-Size: $(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
Depends: $depends
Section: net
Priority: optional
Homepage: https://github.com/procore-uploader/procore-uploader
Description: Upload files and folders to Procore
 A desktop app and command line that put files and whole folders into Procore
 with its direct file upload API, resuming after sleep, network loss or a crash.
CONTROL

mkdir -p "$OUT"
DEB="$OUT/${NAME}_${VERSION}_${ARCH}.deb"
fakeroot dpkg-deb -Zxz --build "$PKG" "$DEB" >&2
echo "$DEB"
