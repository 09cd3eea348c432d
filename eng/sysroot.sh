#!/usr/bin/env bash
# Root filesystems for building and testing the shipped binary, cached outside the repository
# (LEOFLOW_CACHE, default /var/cache/leoflow). Each is built once into a temporary directory and
# renamed into place, then reused while its recipe is unchanged, so reruns cost a few milliseconds.
#
#   eng/sysroot.sh sysroot ARCH        the link sysroot: Debian 11 (bullseye, glibc 2.31) development
#                                      files plus OpenSSL 3 static libraries; prints its path
#   eng/sysroot.sh rootfs SUITE ARCH   a minimal debootstrapped userland to run the agent in; prints its path
#   eng/sysroot.sh glibc-root ARCH DIR a root holding only the loader and glibc (bullseye's), into DIR
#
# ARCH is a Debian architecture (amd64, arm64). Needs root, debootstrap and the Debian archive
# keyring; LEOFLOW_DEBIAN_MIRROR and LEOFLOW_DEBIAN_SECURITY_MIRROR override the mirrors.
#
# Why a bullseye sysroot: glibc symbol versions are chosen at link time by the libc the linker sees,
# so linking against bullseye's libc makes the binary need at most GLIBC_2.31 and run on Debian 11+,
# Ubuntu 20.04+ and distroless, whatever the build machine's glibc is.
# Why OpenSSL from bookworm: the static OpenSSL shim of the ILCompiler needs OpenSSL 3 (bullseye has
# 1.1). bookworm's libssl.a/libcrypto.a are built against glibc 2.36 headers yet only call functions
# glibc 2.31 already had (stat and friends resolve to libc_nonshared.a wrappers of 2.31), so they
# link cleanly against the bullseye libc. They are taken from the Debian archive rather than from the
# build machine so the result does not depend on the host distribution (an Ubuntu 24.04 libssl.a
# would pull in GLIBC_2.38 symbols such as __isoc23_strtol).
set -euo pipefail

CACHE=${LEOFLOW_CACHE:-/var/cache/leoflow}
MIRROR=${LEOFLOW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${LEOFLOW_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
BUILD_SUITE=bullseye
BUILD_PACKAGES=libc6-dev,libgcc-10-dev,libstdc++-10-dev,zlib1g-dev
OPENSSL_SUITE=bookworm
# Bump when the way a root is made changes, so cached roots are rebuilt.
RECIPE_VERSION=2

say() { printf 'sysroot: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

triplet() {
  case "$1" in
    amd64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
    *) die "unsupported architecture $1 (amd64 or arm64)" ;;
  esac
}

need_tools() {
  [ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"
  command -v debootstrap >/dev/null || die "debootstrap is not installed"
  [ -r "$KEYRING" ] || die "$KEYRING is missing (install debian-archive-keyring)"
}

# Runs "$@" (which fills $tmp) unless $dest already carries $recipe; serialised by a lock so two
# builds never race on one root.
cached() {
  local dest=$1 recipe=$2; shift 2
  if [ "$(cat "$dest/.leoflow-recipe" 2>/dev/null)" = "$recipe" ]; then return 0; fi
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock-$(basename "$dest")"
  flock 9
  if [ "$(cat "$dest/.leoflow-recipe" 2>/dev/null)" = "$recipe" ]; then exec 9>&-; return 0; fi
  tmp="$dest.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  local started=$SECONDS
  "$@"
  printf '%s' "$recipe" > "$tmp/.leoflow-recipe"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  exec 9>&-
  say "$(basename "$dest") ready in $((SECONDS - started))s"
}

# The linker does not re-root symlink targets, so an absolute link such as
# usr/lib/x86_64-linux-gnu/libm.so -> /lib/x86_64-linux-gnu/libm.so.6 would reach the build
# machine's own libm. Rewrite every absolute symlink as a relative one.
relativize_links() {
  local root=$1 link target dir
  while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    dir=$(dirname "${link#"$root"}")
    ln -sfn "$(realpath -m -s --relative-to="$dir" "$target")" "$link"
  done < <(find "$root" -type l -lname '/*' -print0)
}

# Downloads the .debs of a minbase bullseye with the given packages (dependencies resolved by
# debootstrap) and unpacks them all. Nothing is configured: a sysroot needs files, not a system.
unpack_suite() {
  local arch=$1 suite=$2 include=$3 root=$4
  say "downloading $suite/$arch packages ($include)"
  debootstrap --download-only --variant=minbase --arch="$arch" --include="$include" \
    --keyring="$KEYRING" "$suite" "$root" "$MIRROR" >"$root.log" 2>&1 \
    || { tail -20 "$root.log" >&2; die "debootstrap --download-only $suite/$arch failed (log: $root.log)"; }
  local deb
  for deb in "$root"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$deb" "$root"; done
}

# One package of another suite for ARCH, through a private apt configuration that leaves the
# machine's own apt sources, architectures and state untouched.
apt_download() {
  local arch=$1 suite=$2 dest=$3; shift 3
  local state=$CACHE/apt-$suite-$arch
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$dest"
  cat > "$state/sources.list" <<EOF
deb [arch=$arch signed-by=$KEYRING] $MIRROR $suite main
deb [arch=$arch signed-by=$KEYRING] $SECURITY_MIRROR $suite-security main
EOF
  : > "$state/status"
  local opts=(-o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=$state/none"
    -o "Dir::State::Lists=$state/lists" -o "Dir::State::status=$state/status"
    -o "Dir::Cache=$state/cache" -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -qq)
  apt-get "${opts[@]}" update
  (cd "$dest" && apt-get "${opts[@]}" download "$@")
}

build_sysroot() {
  local arch=$1 trip
  trip=$(triplet "$arch")
  unpack_suite "$arch" "$BUILD_SUITE" "$BUILD_PACKAGES" "$tmp"
  say "adding OpenSSL 3 static libraries from $OPENSSL_SUITE/$arch"
  apt_download "$arch" "$OPENSSL_SUITE" "$tmp.ssl" libssl-dev
  dpkg-deb -x "$tmp.ssl"/libssl-dev_*.deb "$tmp.ssl/x"
  cp -a "$tmp.ssl/x/usr/include/openssl" "$tmp/usr/include/"
  mkdir -p "$tmp/usr/include/$trip"
  cp -a "$tmp.ssl/x/usr/include/$trip/openssl" "$tmp/usr/include/$trip/"
  # Static archives only: with no libssl.so in the sysroot nothing can link OpenSSL dynamically.
  cp "$tmp.ssl/x/usr/lib/$trip/libssl.a" "$tmp.ssl/x/usr/lib/$trip/libcrypto.a" "$tmp/usr/lib/$trip/"
  cp "$tmp.ssl"/libssl-dev_*.deb "$tmp/var/cache/apt/archives/"
  rm -rf "$tmp.ssl" "$tmp.log"
  relativize_links "$tmp"
}

build_rootfs() {
  local suite=$1 arch=$2
  say "debootstrapping a minimal $suite/$arch"
  debootstrap --variant=minbase --arch="$arch" --keyring="$KEYRING" "$suite" "$tmp" "$MIRROR" >"$tmp.log" 2>&1 \
    || { tail -20 "$tmp.log" >&2; die "debootstrap $suite/$arch failed (log: $tmp.log)"; }
  rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages "$tmp.log"
}

cmd=${1:-}
case "$cmd" in
  sysroot)
    [ $# = 2 ] || die "usage: eng/sysroot.sh sysroot ARCH"
    triplet "$2" >/dev/null
    dest=$CACHE/sysroot-$BUILD_SUITE-$2
    recipe="v$RECIPE_VERSION $BUILD_SUITE $2 $BUILD_PACKAGES openssl:$OPENSSL_SUITE"
    [ "$(cat "$dest/.leoflow-recipe" 2>/dev/null)" = "$recipe" ] || need_tools
    cached "$dest" "$recipe" build_sysroot "$2"
    echo "$dest"
    ;;
  rootfs)
    [ $# = 3 ] || die "usage: eng/sysroot.sh rootfs SUITE ARCH"
    triplet "$3" >/dev/null
    dest=$CACHE/rootfs-$2-$3
    recipe="v$RECIPE_VERSION $2 $3 minbase"
    [ "$(cat "$dest/.leoflow-recipe" 2>/dev/null)" = "$recipe" ] || need_tools
    cached "$dest" "$recipe" build_rootfs "$2" "$3"
    echo "$dest"
    ;;
  glibc-root)
    [ $# = 3 ] || die "usage: eng/sysroot.sh glibc-root ARCH DIR"
    # libc6 alone from the cached sysroot's downloads: loader, libc, libm, libdl, librt, libpthread.
    src=$("$0" sysroot "$2")
    mkdir -p "$3"
    dpkg-deb -x "$(ls "$src"/var/cache/apt/archives/libc6_*.deb)" "$3"
    relativize_links "$3"
    rm -rf "$3/usr/share" "$3/etc/ld.so.conf.d" "$3/usr/lib/$(triplet "$2")/gconv"
    mkdir -p "$3/tmp" && chmod 1777 "$3/tmp"
    ;;
  *) die "usage: eng/sysroot.sh {sysroot ARCH | rootfs SUITE ARCH | glibc-root ARCH DIR}" ;;
esac
