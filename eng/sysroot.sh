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
# ARCH is a Debian architecture (amd64, arm64). Needs root, debootstrap, the Debian archive keyring,
# and for OpenSSL clang, llvm-ar, make, perl and wget; LEOFLOW_DEBIAN_MIRROR and LEOFLOW_DEBIAN_SECURITY_MIRROR override the mirrors.
#
# Why a bullseye sysroot: glibc symbol versions are chosen at link time by the libc the linker sees,
# so linking against bullseye's libc makes the binary need at most GLIBC_2.31 and run on Debian 11+,
# Ubuntu 20.04+ and distroless, whatever the build machine's glibc is.
# Why OpenSSL built here: the ILCompiler's static OpenSSL shim needs OpenSSL 3 (bullseye has 1.1),
# and a prebuilt libcrypto.a carries every algorithm and the build machine's glibc assumptions (an
# Ubuntu 24.04 libssl.a pulls in GLIBC_2.38 symbols such as __isoc23_strtol). So the sysroot gets
# OpenSSL 3 compiled from Debian 12's source against bullseye's glibc, static only, with the
# algorithms and protocols TLS 1.2/1.3 clients do not use configured out and one section per
# function so the linker drops what the agent never calls: the agent comes out 1.5 MB smaller than
# with Debian's prebuilt libcrypto.a.
set -euo pipefail

CACHE=${LEOFLOW_CACHE:-/var/cache/leoflow}
MIRROR=${LEOFLOW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${LEOFLOW_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
BUILD_SUITE=bullseye
BUILD_PACKAGES=libc6-dev,libgcc-10-dev,libstdc++-10-dev,zlib1g-dev
OPENSSL_SUITE=bookworm
# Left out: protocols below TLS 1.2 and DTLS, engines and loadable modules, compression, and
# algorithms no TLS 1.2/1.3 client or the .NET X509/PKCS#12 code paths the agent uses need. The
# .NET shim's feature probes see the result (configuration.h), so what is off is compiled out there.
OPENSSL_CONFIG="no-shared no-module no-dso no-engine no-legacy no-comp no-dtls no-ssl3 no-tls1 no-tls1_1
  no-srp no-psk no-srtp no-sctp no-ct no-cms no-ts no-rfc3779 no-ui-console no-async no-ec2m no-gost
  no-sm2 no-sm3 no-sm4 no-idea no-mdc2 no-rc5 no-whirlpool no-camellia no-aria no-seed no-bf no-cast
  no-siv no-tests"
# Bump when the way a root is made changes, so cached roots are rebuilt.
RECIPE_VERSION=3

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
  # A failed build leaves its log (named in the error) but not its half-made trees.
  trap 'rm -rf "$tmp" "$tmp.openssl"' EXIT
  local started=$SECONDS
  "$@"
  printf '%s' "$recipe" > "$tmp/.leoflow-recipe"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
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

# Debian 12's OpenSSL source (the upstream tarball), cached in $CACHE/src; prints its path. A private
# apt configuration finds it without touching the machine's own apt sources or state.
openssl_source() {
  local state=$CACHE/apt-$OPENSSL_SUITE-source src=$CACHE/src
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$src"
  printf 'deb-src [signed-by=%s] %s %s main\ndeb-src [signed-by=%s] %s %s-security main\n' \
    "$KEYRING" "$MIRROR" "$OPENSSL_SUITE" "$KEYRING" "$SECURITY_MIRROR" "$OPENSSL_SUITE" > "$state/sources.list"
  : > "$state/status"
  local opts=(-o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=$state/none"
    -o "Dir::State::Lists=$state/lists" -o "Dir::State::status=$state/status"
    -o "Dir::Cache=$state/cache" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -qq)
  apt-get "${opts[@]}" update >&2
  # --print-uris lists the files of the newest source version (run where none of them exist).
  local url name hash
  read -r url name _ hash < <(cd "$state" && apt-get "${opts[@]}" --print-uris source openssl | grep '\.orig\.tar\.')
  [ -n "${name:-}" ] || die "no OpenSSL source found in $OPENSSL_SUITE"
  url=${url//\'/} hash=${hash#SHA256:}
  if ! echo "$hash  $src/$name" | sha256sum -c --status 2>/dev/null; then
    say "downloading $name"
    wget -q -O "$src/$name.part" "$url" || die "cannot download $url"
    echo "$hash  $src/$name.part" | sha256sum -c --status || die "$name: SHA256 mismatch"
    mv "$src/$name.part" "$src/$name"
  fi
  echo "$src/$name"
}

# Builds static libcrypto and libssl for the sysroot being made ($tmp) and installs their headers.
build_openssl() {
  local arch=$1 trip=$2 tarball build target
  tarball=$(openssl_source)
  build=$tmp.openssl
  rm -rf "$build" && mkdir -p "$build"
  tar -xzf "$tarball" -C "$build" --strip-components=1
  case "$arch" in amd64) target=linux-x86_64 ;; arm64) target=linux-aarch64 ;; esac
  say "building $(basename "$tarball" .orig.tar.gz) for $trip (static, TLS client subset)"
  # shellcheck disable=SC2086 # OPENSSL_CONFIG is a list of options
  (cd "$build" && ./Configure "$target" $OPENSSL_CONFIG --prefix=/usr --openssldir=/usr/lib/ssl \
      --libdir="lib/$trip" CC=clang AR=llvm-ar RANLIB=llvm-ranlib \
      CFLAGS="--target=$trip --sysroot=$tmp -Os -ffunction-sections -fdata-sections" \
    && make -j"$(nproc)" build_libs && make install_dev DESTDIR="$tmp") >"$build.log" 2>&1 \
    || { tail -30 "$build.log" >&2; die "OpenSSL build failed (log: $build.log)"; }
  # Only the static archives and headers: nothing can link OpenSSL dynamically by mistake.
  rm -rf "$tmp/usr/lib/$trip/pkgconfig" "$tmp/usr/lib/$trip/libssl.so" "$tmp/usr/lib/$trip/libcrypto.so"
  rm -rf "$build" "$build.log"
}

build_sysroot() {
  local arch=$1 trip
  trip=$(triplet "$arch")
  unpack_suite "$arch" "$BUILD_SUITE" "$BUILD_PACKAGES" "$tmp"
  relativize_links "$tmp"
  build_openssl "$arch" "$trip"
  rm -f "$tmp.log"
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
    recipe="v$RECIPE_VERSION $BUILD_SUITE $2 $BUILD_PACKAGES openssl:$OPENSSL_SUITE $(echo $OPENSSL_CONFIG)"
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
