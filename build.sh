#!/usr/bin/env bash
# LeoFlow agent build entry point. Idempotent; installs what it needs (as root, via apt).
#   ./build.sh demo          publish the Native AOT agent and run sample tasks against the dev control plane
#   ./build.sh test          publish (zero trim/AOT warnings enforced) and run every test
#   ./build.sh publish       Native AOT binary into dist/linux-x64/
#   ./build.sh deps          install the prerequisites only
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
RID=linux-x64
DIST=$ROOT/dist/$RID
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
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    [ "$(id -u)" = 0 ] || { echo "build.sh: need root to install ${missing[*]}" >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null || { echo "build.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
}

publish() {
  log "publishing Native AOT leoflow-agent for $RID"
  local commit
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  # -warnaserror: any trim/AOT/single-file warning (IL2xxx/IL3xxx) fails the build.
  dotnet publish src/LeoFlow.Agent.Cli -c Release -r "$RID" -warnaserror -p:Commit="$commit" -o "$ROOT/artifacts/publish/$RID" -v:q -nologo
  mkdir -p "$DIST"
  cp "$ROOT/artifacts/publish/$RID/leoflow-agent" "$DIST/leoflow-agent"
  cp "$ROOT/artifacts/publish/$RID/leoflow-agent.dbg" "$DIST/leoflow-agent.dbg"
  (cd "$DIST" && sha256sum leoflow-agent leoflow-agent.dbg > SHA256SUMS)
  ls -l "$DIST/leoflow-agent" | awk '{print "dist/'"$RID"'/leoflow-agent: " $5 " bytes"}'
  "$DIST/leoflow-agent" --version
}

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
  deps) deps ;;
  publish) deps; publish ;;
  test) deps; publish; run_tests ;;
  demo) deps; publish; demo ;;
  *) echo "usage: ./build.sh {demo|test|publish|deps}" >&2; exit 2 ;;
esac
