#!/usr/bin/env bash
# Benchmarks of the leoflow-agent binary against their references; rewrites docs/benchmarks.md.
#   bench/run.sh           full mode (a few minutes on a 2-core machine)
#   bench/run.sh --quick   every benchmark at small sizes, well under two minutes (CI; no pass/fail on figures)
#   bench/run.sh [--quick] --out FILE   write the report elsewhere
#   profiling: --only size,startup,lifecycle,throughput,idle,fleet   --lines N   --fleet N (agents, default 100)
#              --agent-env NAME=VALUE (agent only; repeatable)
# Expects dist/linux-x64/leoflow-agent (./build.sh publish) and the .NET SDK. Builds the bench driver
# (bench/LeoFlow.Bench) and the same agent code for the JIT (src/LeoFlow.Agent.Cli, Release) itself.
# Exit code: 0 when every measurement was taken, 1 when one failed (e.g. lines lost), 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

mode=()
pass=()
out=$ROOT/docs/benchmarks.md
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=(--quick) ;;
    --out) [ $# -ge 2 ] || { echo "bench/run.sh: --out needs a file" >&2; exit 2; }; out=$2; shift ;;
    --only|--lines|--fleet|--agent-env)
      [ $# -ge 2 ] || { echo "bench/run.sh: $1 needs a value" >&2; exit 2; }; pass+=("$1" "$2"); shift ;;
    *) echo "usage: bench/run.sh [--quick] [--out FILE] [--only LIST] [--lines N] [--fleet N] [--agent-env NAME=VALUE]..." >&2; exit 2 ;;
  esac
  shift
done

agent=$ROOT/dist/linux-x64/leoflow-agent
[ -x "$agent" ] || { echo "bench/run.sh: $agent is missing; run ./build.sh publish first" >&2; exit 2; }
command -v dotnet >/dev/null || { echo "bench/run.sh: the .NET SDK (dotnet) is required" >&2; exit 2; }
command -v readelf >/dev/null || { echo "bench/run.sh: readelf (binutils) is required" >&2; exit 2; }
extra=()
[ -x "$ROOT/dist/linux-arm64/leoflow-agent" ] && extra+=(--agent-arm64 "$ROOT/dist/linux-arm64/leoflow-agent")

# The commit measured; "-dirty" when tracked files other than the report differ from it.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no -- . ':!docs/benchmarks.md' 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi

printf '\n== building the bench driver and the JIT build of the agent\n'
dotnet build bench/LeoFlow.Bench -c Release -v:q -nologo
dotnet build src/LeoFlow.Agent.Cli -c Release -v:q -nologo
jit=$ROOT/src/LeoFlow.Agent.Cli/bin/Release/net10.0/leoflow-agent

printf '\n== running the benchmarks (%s)\n' "${mode[0]:-full}"
dotnet bench/LeoFlow.Bench/bin/Release/net10.0/LeoFlow.Bench.dll \
  --repo "$ROOT" --agent "$agent" --jit "$jit" --out "$out" --commit "$commit" "${extra[@]}" "${mode[@]}" "${pass[@]}"
# The hand-kept before/after figures follow the generated sections.
cat "$ROOT/bench/history.md" >> "$out"
