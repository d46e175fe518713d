#!/usr/bin/env bash
# Builds "Procore Uploader.app" with PyInstaller and packs it into a .dmg; signs and notarizes
# when the credentials are in the environment. Runs on macOS only (codesign, hdiutil, xcrun);
# built by .github/workflows/installers.yml on a macOS runner, never on the Linux test machines.
#
#   packaging/macos/build-dmg.sh [--out DIR]
#
# Signing (optional): MACOS_SIGN_IDENTITY, e.g. "Developer ID Application: Example (TEAMID)",
# already in a keychain (the workflow imports it from MACOS_CERTIFICATE_P12).
# Notarization (optional, needs signing): either an App Store Connect API key
# (NOTARY_KEY_PATH, NOTARY_KEY_ID, NOTARY_ISSUER_ID) or an Apple ID
# (NOTARY_APPLE_ID, NOTARY_TEAM_ID, NOTARY_PASSWORD: an app-specific password).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/build/dmg"
PYTHON=${PYTHON:-python3}
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--out DIR]" >&2; exit 2 ;;
  esac
done
[ "$(uname -s)" = Darwin ] || { echo "build-dmg.sh runs on macOS only" >&2; exit 2; }

APP_NAME="Procore Uploader"
VERSION=$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("procore-uploader"))')
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath "$WORK/dist" \
  --workpath "$WORK/pyinstaller" "$ROOT/packaging/procore-uploader.spec" >&2
APP="$WORK/dist/$APP_NAME.app"
[ -d "$APP" ] || { echo "PyInstaller made no $APP_NAME.app" >&2; exit 1; }
/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$APP/Contents/Info.plist" >&2

sign() {  # inside out: libraries and executables first, the bundle last (no --deep)
  local identity=$1
  find "$APP/Contents" -type f \( -name '*.so' -o -name '*.dylib' -o -perm -u+x \) -print0 |
    while IFS= read -r -d '' file; do
      if file -b "$file" | grep -q "Mach-O"; then
        codesign --force --timestamp --options runtime \
          --entitlements "$ROOT/packaging/macos/entitlements.plist" --sign "$identity" "$file"
      fi
    done
  codesign --force --timestamp --options runtime \
    --entitlements "$ROOT/packaging/macos/entitlements.plist" --sign "$identity" "$APP"
  codesign --verify --strict --verbose=2 "$APP"
}

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  echo "signing with $MACOS_SIGN_IDENTITY" >&2
  sign "$MACOS_SIGN_IDENTITY"
else
  echo "MACOS_SIGN_IDENTITY not set: the app and .dmg are not signed (Gatekeeper will warn)" >&2
fi

STAGE="$WORK/stage"
mkdir -p "$STAGE" "$OUT"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"   # drag the app onto this to install
DMG="$OUT/ProcoreUploader-$VERSION.dmg"
rm -f "$DMG"
hdiutil create -volname "$APP_NAME" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG" >&2

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$DMG"
  notary=()
  if [ -n "${NOTARY_KEY_PATH:-}" ] && [ -n "${NOTARY_KEY_ID:-}" ] && [ -n "${NOTARY_ISSUER_ID:-}" ]; then
    notary=(--key "$NOTARY_KEY_PATH" --key-id "$NOTARY_KEY_ID" --issuer "$NOTARY_ISSUER_ID")
  elif [ -n "${NOTARY_APPLE_ID:-}" ] && [ -n "${NOTARY_TEAM_ID:-}" ] && [ -n "${NOTARY_PASSWORD:-}" ]; then
    notary=(--apple-id "$NOTARY_APPLE_ID" --team-id "$NOTARY_TEAM_ID" --password "$NOTARY_PASSWORD")
  fi
  if [ ${#notary[@]} -gt 0 ]; then
    echo "notarizing (this waits for Apple's answer)" >&2
    xcrun notarytool submit "$DMG" "${notary[@]}" --wait >&2
    xcrun stapler staple "$DMG" >&2
    xcrun stapler validate "$DMG" >&2
    spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG" >&2
  else
    echo "no notarization credentials: the .dmg is signed but not notarized" >&2
  fi
fi
echo "$DMG"
