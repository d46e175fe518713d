#!/usr/bin/env bash
# Makes a 64-bit Wine prefix in DIR that can run the Windows build of Procore Uploader:
# no Mono or Gecko prompts, and the icuuc.dll stand-in Qt 6.11 needs under Wine 8
# (icuuc-stub.c says why). Used by build-under-wine.sh and the installer test.
#
#   packaging/windows/wine/new-prefix.sh DIR
#
# Needs wine, wine64, wine32:i386 and gcc-mingw-w64-x86-64-win32 (Debian).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
export WINEPREFIX=$(cd "$1" && pwd) WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

if [ ! -f "$WINEPREFIX/system.reg" ]; then
  wineboot -i </dev/null 2>&1 | cat
  wineserver -w
fi
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$WINEPREFIX/drive_c/windows/system32/icuuc.dll" \
  "$HERE/icuuc-stub.c"
