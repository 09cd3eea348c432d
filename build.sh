#!/usr/bin/env bash
# LeoFlow agent build entry point. Idempotent; installs what it needs (as root, via apt).
#   ./build.sh demo          publish the Native AOT agent and run sample tasks against the dev control plane
#   ./build.sh test          publish for this machine (zero trim/AOT warnings enforced) and run every test:
#                            the xunit suite, then the grpc-go interop checks (tests/interop)
#   ./build.sh publish [RID...]  Native AOT binaries into dist/RID/ (default: linux-x64 and linux-arm64)
#   ./build.sh portability   publish both, then run them in old, new and near-empty userlands (tests/portability)
#   ./build.sh interop       the grpc-go interop checks alone (tests/interop)
#   ./build.sh bench [--quick]  size, start-up, lifecycle, RSS, idle CPU, log throughput; rewrites docs/benchmarks.md
#   ./build.sh deps [portability|interop]  install the prerequisites only (of those checks too)
#
# The binaries link OpenSSL statically and against a Debian 11 sysroot (eng/sysroot.sh, cached in
# /var/cache/leoflow), so they need nothing but glibc (symbol versions <= 2.28) wherever they run.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
# This machine's RID: what the tests and the demo run; the other one is cross-compiled.
case "$(uname -m)" in
  aarch64|arm64) RID=linux-arm64 ;;
  *) RID=linux-x64 ;;
esac
DIST=$ROOT/dist/$RID
ALL_RIDS=(linux-x64 linux-arm64)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\n== %s\n' "$*"; }

deps() {
  local missing=()
  command -v clang >/dev/null || missing+=(clang)
  command -v ld.lld >/dev/null || missing+=(lld)
  [ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
  [ -e /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  command -v python3 >/dev/null || missing+=(python3)
  command -v file >/dev/null || missing+=(file)
  command -v cmake >/dev/null || missing+=(cmake)
  # llvm-objcopy and llvm-ar handle arm64 objects too (binutils here knows only its own arch).
  { command -v llvm-objcopy && command -v llvm-ar; } >/dev/null || missing+=(llvm)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  # OpenSSL is compiled for the sysroot (eng/sysroot.sh): its Configure needs perl's IPC::Cmd.
  command -v make >/dev/null || missing+=(make)
  command -v wget >/dev/null || missing+=(wget)
  perl -MIPC::Cmd -e 1 2>/dev/null || missing+=(perl)
  [ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
  if [ "${1:-}" = interop ]; then
    # A grpc-go control plane built from Debian's packaged sources (tests/interop).
    command -v go >/dev/null || missing+=(golang-go)
    [ -d /usr/share/gocode/src/google.golang.org/grpc ] || missing+=(golang-google-grpc-dev)
    [ -d /usr/share/gocode/src/google.golang.org/protobuf ] || missing+=(golang-google-protobuf-dev)
    command -v openssl >/dev/null || missing+=(openssl)
  fi
  if [ "${1:-}" = portability ]; then
    command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
    [ -e /bin/busybox ] || missing+=(busybox-static)
    command -v openssl >/dev/null || missing+=(openssl)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    [ "$(id -u)" = 0 ] || { echo "build.sh: need root to install ${missing[*]}" >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null || { echo "build.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
}

# publish_rid RID: the Native AOT binary for RID into dist/RID/ (stripped, .dbg beside, SHA256SUMS).
publish_rid() {
  local rid=$1 arch triple
  case "$rid" in
    linux-x64) arch=amd64 triple=x86_64-linux-gnu ;;
    linux-arm64) arch=arm64 triple=aarch64-linux-gnu ;;
    *) echo "build.sh: unknown RID $rid" >&2; exit 2 ;;
  esac
  local sysroot
  sysroot=$("$ROOT/eng/sysroot.sh" sysroot "$arch")
  log "publishing Native AOT leoflow-agent for $rid (sysroot $sysroot)"
  local commit
  commit=${LEOFLOW_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
  # The ILCompiler builds its static OpenSSL shim once per RID with cmake and keeps the cmake cache;
  # rebuild it when the sysroot or the toolchain file changed (a new shim also forces a relink).
  local shim=$ROOT/src/LeoFlow.Agent.Cli/obj/Release/net10.0/$rid/libs/System.Security.Cryptography.Native
  local stamp
  stamp="$sysroot $(cat "$sysroot/.leoflow-recipe") $(sha256sum < "$ROOT/eng/toolchain.cmake")"
  if [ "$(cat "$shim/.leoflow-stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$shim"
    mkdir -p "$shim"
    printf '%s' "$stamp" > "$shim/.leoflow-stamp"
  fi
  # pow and log bound to their pre-2.29 versions (eng/glibc-compat.c): GLIBC_2.28 at most.
  local compat=$ROOT/artifacts/obj/$rid/glibc-compat.o
  mkdir -p "$(dirname "$compat")"
  clang --target="$triple" --sysroot="$sysroot" -O2 -fPIC -c "$ROOT/eng/glibc-compat.c" -o "$compat"
  # -warnaserror: any trim/AOT/single-file warning (IL2xxx/IL3xxx) fails the build.
  CMAKE_TOOLCHAIN_FILE=$ROOT/eng/toolchain.cmake LEOFLOW_SYSROOT=$sysroot LEOFLOW_TARGET_TRIPLE=$triple \
    dotnet publish src/LeoFlow.Agent.Cli -c Release -r "$rid" -warnaserror -p:Commit="$commit" \
    -p:SysRoot="$sysroot" -p:GlibcCompatObject="$compat" -o "$ROOT/artifacts/publish/$rid" -v:q -nologo
  local dist=$ROOT/dist/$rid
  mkdir -p "$dist"
  cp "$ROOT/artifacts/publish/$rid/leoflow-agent" "$dist/leoflow-agent"
  cp "$ROOT/artifacts/publish/$rid/leoflow-agent.dbg" "$dist/leoflow-agent.dbg"
  (cd "$dist" && sha256sum leoflow-agent leoflow-agent.dbg > SHA256SUMS)
  ls -l "$dist/leoflow-agent" | awk '{print "dist/'"$rid"'/leoflow-agent: " $5 " bytes"}'
  eng/check-binary.sh "dist/$rid/leoflow-agent" 2.28
  if [ "$rid" = "$RID" ]; then
    "$dist/leoflow-agent" --version
  else
    echo "dist/$rid/leoflow-agent: $(file -b "$dist/leoflow-agent" | cut -d, -f1-2) (run by ./build.sh portability under qemu)"
  fi
}

# The tests and the demo need only the machine's own architecture.
publish() { publish_rid "$RID"; }
publish_all() { local rid; for rid in "${@:-${ALL_RIDS[@]}}"; do publish_rid "$rid"; done; }

run_tests() {
  log "running tests against dist/$RID/leoflow-agent"
  local out=$ROOT/artifacts/test-output.txt
  mkdir -p "$ROOT/artifacts"
  set +e
  LEOFLOW_AGENT_BIN=$DIST/leoflow-agent dotnet test LeoFlow.Agent.sln -nologo 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  set -e
  # A plain summary line any CI can read.
  local passed failed
  passed=$(grep -oE 'Passed: +[0-9]+' "$out" | awk '{s+=$2} END {print s+0}')
  failed=$(grep -oE 'Failed: +[0-9]+' "$out" | awk '{s+=$2} END {print s+0}')
  echo "$passed passed, $failed failed"
  log "the agent against a control plane on grpc-go (tests/interop)"
  tests/interop/run.sh || rc=1
  return "$rc"
}

demo() {
  log "building the dev control plane"
  dotnet build tests/LeoFlow.ControlPlane -c Release -v:q -nologo
  local plane=$ROOT/tests/LeoFlow.ControlPlane/bin/Release/net10.0/LeoFlow.ControlPlane.dll
  export LEOFLOW_PYTHON=python3 PYTHONPATH=$ROOT/tests/python PYTHONUNBUFFERED=1
  for task in bash-task python-task; do
    log "sample task samples/$task.json through dist/$RID/leoflow-agent"
    dotnet "$plane" --task "$ROOT/samples/$task.json" --agent "$DIST/leoflow-agent"
  done
}

case "${1:-}" in
  deps) shift; deps "${1:-}" ;;
  publish) deps; shift; publish_all "$@" ;;
  test) deps interop; publish; run_tests ;;
  demo) deps; publish; demo ;;
  portability) deps portability; publish_all; tests/portability/run.sh ;;
  interop) deps interop; publish; tests/interop/run.sh ;;
  bench) deps; publish; shift; bench/run.sh "$@" ;;
  *) echo "usage: ./build.sh {demo|test|publish|portability|interop|bench [--quick]|deps}" >&2; exit 2 ;;
esac
