#!/usr/bin/env bash
# Builds the DEB package with CPack and installs it into a clean Debian 12 root made with
# debootstrap (minbase), then runs the installed programs there: --version, --help, the
# quick-tour graph, the editor's --help without a display, the man pages and the desktop
# entry. Needs root, debootstrap and a Debian mirror (MIRROR, default: the first one in the
# apt sources). Usage: scripts/test-deb.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mirror=${MIRROR:-$(grep -rhoE 'https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}

# 1. The package. CPack installs every target, so the whole project is built first.
cmake --build "$build" -j "${NOISEGRAPH_JOBS:-2}"
(cd "$build" && cpack -G DEB)
deb=$(ls -t "$build"/noisegraph_*.deb | head -n 1)
echo "test-deb: package $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/noisegraph ./usr/bin/noisegraph-editor ./usr/share/doc/noisegraph/LICENSE \
         ./usr/share/doc/noisegraph/cli.md ./usr/share/man/man1/noisegraph.1 \
         ./usr/share/applications/noisegraph-editor.desktop \
         ./usr/share/icons/hicolor/scalable/apps/noisegraph.svg \
         ./usr/share/noisegraph/graphs/txt2img.yaml ./usr/share/noisegraph/models/fmnist-vae.safetensors \
         ./usr/share/doc/noisegraph/examples/invert/invert.cpp; do
  grep -qF " $f" <<<"$contents" || { echo "test-deb: missing $f" >&2; exit 1; }
done
if grep -q "testing.so" <<<"$contents"; then echo "test-deb: the test-only plugin is packaged" >&2; exit 1; fi
grep -qE " \./usr/lib/[^ ]*noisegraph/libnoisegraph_host_core" <<<"$contents" ||
  { echo "test-deb: libnoisegraph_host_core is not in the private folder" >&2; exit 1; }

# 2. A clean Debian 12 root, reused between runs (ROOT to choose its place).
root=${ROOT:-/var/tmp/noisegraph-deb-root}
if [ ! -x "$root/usr/bin/apt-get" ]; then
  debootstrap --variant=minbase bookworm "$root" "$mirror"
fi
cleanup() { umount "$root/proc" 2>/dev/null || true; }
trap cleanup EXIT
mount -t proc proc "$root/proc"  # the programs find their files through /proc/self/exe
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
cp "$deb" "$root/tmp/noisegraph.deb"
chroot "$root" /bin/sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/noisegraph.deb'

# 3. The installed programs, as a new user would run them.
run() { echo "+ $*"; chroot "$root" /usr/bin/env -u DISPLAY HOME=/root "$@"; }
run noisegraph --version
run noisegraph run --help > /dev/null
run noisegraph plugins
run noisegraph run /usr/share/noisegraph/graphs/txt2img.yaml --set sample.steps=4 --output-dir /tmp/out
test -s "$root/tmp/out/txt2img_00001.png"
run noisegraph-editor --version
run noisegraph-editor --help > /dev/null
run sh -c 'test -f /usr/share/man/man1/noisegraph.1.gz || test -f /usr/share/man/man1/noisegraph.1'
echo "test-deb: ok ($deb installed and ran in a clean Debian 12 root at $root)"
