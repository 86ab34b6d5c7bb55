#!/usr/bin/env bash
# Software WebGPU for machines without a GPU (CI, developer laptops): fetches lavapipe (Mesa's
# CPU Vulkan driver) from Debian 12 bookworm-backports (Mesa 25) into a private, git-ignored
# folder and writes a Vulkan ICD file that points at it. The system's apt configuration is left
# alone: apt runs with its own lists / cache folders and only downloads and unpacks the .deb.
# Stock bookworm lavapipe (Mesa 22.3) does not work: Dawn rejects it ("Vulkan
# shaderUniform*ArrayDynamicIndexing required"). See docs/architecture.md, Backends.
#
#   scripts/setup-webgpu-driver.sh [DIR]     (default: <repo>/.cache/webgpu-driver)
#
# Needs the Vulkan loader (libvulkan1) and LLVM 15 (libllvm15) from the stock archive; as root
# the script installs them, otherwise it says what to install. Idempotent: a second call
# checks the cached driver and returns at once. Prints the ICD path last; the tests and the
# trainer find <repo>/.cache/webgpu-driver/lvp_icd.json by themselves (src/trainer/backends/
# scripts/webgpuDriver.ts), or set VK_ICD_FILENAMES=<that file> yourself.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-"$ROOT/.cache/webgpu-driver"}
ICD="$DIR/lvp_icd.json"
ARCH_TRIPLET=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")
LIB="$DIR/x/usr/lib/$ARCH_TRIPLET/libvulkan_lvp.so"
t0=$(date +%s)

have_lib() { ldconfig -p | grep -q "$1"; }

# 1. The stock libraries lavapipe and Dawn load.
missing=()
have_lib 'libvulkan.so.1 ' || missing+=(libvulkan1)
have_lib 'libLLVM-15.so.1 ' || missing+=(libllvm15)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup-webgpu-driver: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup-webgpu-driver: missing ${missing[*]}: run  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# 2. The cached driver, if it is complete.
# (The ICD names the library by absolute path: a moved checkout fetches again.)
if [ -f "$ICD" ] && [ -f "$LIB" ] && grep -qF "\"$LIB\"" "$ICD"; then
  echo "setup-webgpu-driver: cached $(cat "$DIR/version" 2>/dev/null || echo lavapipe) ($(( $(date +%s) - t0 )) s)"
  echo "$ICD"
  exit 0
fi

# 3. Fetch mesa-vulkan-drivers from bookworm-backports with a private apt state.
rm -rf "$DIR"
mkdir -p "$DIR"/lists/partial "$DIR"/cache/archives/partial "$DIR"/sp "$DIR"/x
URI=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  URI=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$URI" ] && [ -f /etc/apt/sources.list ]; then
  URI=$(awk '$1=="deb" && $0 ~ /debian/ {for (i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
fi
URI=${URI:-http://deb.debian.org/debian}
printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$URI" >"$DIR/sp/bpo.sources"
APTO=(-o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$DIR/sp" -o Dir::State::Lists="$DIR/lists"
  -o Dir::Cache::archives="$DIR/cache/archives" -o Dir::Cache::pkgcache="$DIR/pkgcache.bin"
  -o Dir::Cache::srcpkgcache="$DIR/srcpkgcache.bin" -o APT::Sandbox::User=root -o Debug::NoLocking=1)
timeout 300 apt-get "${APTO[@]}" -qq update
VER=$(apt-cache "${APTO[@]}" policy mesa-vulkan-drivers | awk '/Candidate:/{print $2}')
case "$VER" in
  25.*) ;;
  *) echo "setup-webgpu-driver: bookworm-backports offers mesa-vulkan-drivers '$VER', expected 25.x" >&2; exit 1 ;;
esac
(cd "$DIR" && timeout 300 apt-get "${APTO[@]}" -qq download "mesa-vulkan-drivers=$VER")
dpkg -x "$DIR"/mesa-vulkan-drivers_*.deb "$DIR/x"
[ -f "$LIB" ] || { echo "setup-webgpu-driver: $LIB not in the package" >&2; exit 1; }
if ldd "$LIB" | grep -q 'not found'; then
  echo "setup-webgpu-driver: lavapipe needs libraries this machine lacks:" >&2
  ldd "$LIB" | grep 'not found' >&2
  exit 1
fi
# Only lavapipe is kept: the other drivers of the package are for hardware.
find "$DIR/x" -name 'libvulkan_*.so' ! -name libvulkan_lvp.so -delete
rm -rf "$DIR/lists" "$DIR/cache" "$DIR/sp" "$DIR"/*.bin "$DIR"/*.deb
API=$(grep -o '"api_version" *: *"[^"]*"' "$DIR/x/usr/share/vulkan/icd.d/lvp_icd.json" | grep -o '[0-9][0-9.]*' || true)
API=${API:-1.4.0}
printf '{"file_format_version":"1.0.1","ICD":{"library_path":"%s","api_version":"%s"}}\n' "$LIB" "$API" >"$ICD.tmp"
mv "$ICD.tmp" "$ICD"
echo "lavapipe (mesa-vulkan-drivers $VER, bookworm-backports)" >"$DIR/version"
echo "setup-webgpu-driver: fetched mesa-vulkan-drivers $VER into $DIR ($(( $(date +%s) - t0 )) s)"
echo "$ICD"
