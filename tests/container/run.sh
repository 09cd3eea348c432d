#!/usr/bin/env bash
# The pod in a real container engine (Docker), with the dev control plane on the host:
#   - Dockerfile.distroless is built with no registry: its base image is a local stand-in for
#     distroless/cc (a root holding only the loader and glibc), its binary the published
#     dist/<rid>/leoflow-agent (AGENT_SOURCE=dist, so no SDK image is involved); with
#     dist/linux-arm64 present, the arm64 image is built too (not run: no arm64 engine here);
#   - the init container installs the agent into a shared volume, twice (idempotent);
#   - task containers of three images (glibc only, Debian 11 with bash, Debian 12 with python3) run
#     /leoflow/agent as PID 1, as uid 65532, with a read-only root, /tmp a tmpfs and no capabilities,
#     on the host's network (the control plane listens on 127.0.0.1);
#   - bash and python tasks succeed with their XComs; `docker stop` ends a running task (trapping
#     or ignoring SIGTERM) within the grace period; a memory limit turns a runaway task into "killed
#     by the OOM killer"; the failure reason lands in /dev/termination-log; an orphan is reaped.
# When no engine answers, the script starts `dockerd --iptables=false --storage-driver=vfs` and stops
# it at exit; an engine that cannot start is a failure. Base images are made from debootstrapped roots
# cached in /var/cache/leoflow (eng/sysroot.sh; the Debian 12 root gets python3 from the package
# mirror once). Needs root and the .NET SDK; installs docker.io and debootstrap when missing. Every
# step is bounded by a timeout. One PASS/FAIL line per check; exit status 1 if any check FAILs.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD
case "$(uname -m)" in
  aarch64|arm64) ARCH=arm64 RID=linux-arm64 ;;
  *) ARCH=amd64 RID=linux-x64 ;;
esac
AGENT=$ROOT/dist/$RID/leoflow-agent
ARM64_AGENT=$ROOT/dist/linux-arm64/leoflow-agent
PLANE=$ROOT/tests/LeoFlow.ControlPlane/bin/Release/net10.0/LeoFlow.ControlPlane.dll
TASKS=$ROOT/tests/container/tasks
CACHE=${LEOFLOW_CACHE:-/var/cache/leoflow}
# The docker.io package's client: it drives the engine's own BuildKit (a newer client first on the
# PATH may want the buildx plugin for that).
DOCKER=/usr/bin/docker
STEP_TIMEOUT=${LEOFLOW_CONTAINER_TIMEOUT:-120}
# What `docker stop -t` gives the agent before the engine's SIGKILL (terminationGracePeriodSeconds).
STOP_GRACE=30
# Names of everything this run creates in the engine; images are tagged under leoflow-test/ and kept.
PREFIX=leoflow-ct-$$
IMAGES=leoflow-test
export DOCKER_BUILDKIT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

PASSED=() FAILED=() SKIPPED=()
banner() { printf '\n======== %s\n' "$*"; }
pass() { PASSED+=("$1"); printf '>>>>>>>> PASS  %s\n' "$1"; }
fail() { FAILED+=("$1"); printf '>>>>>>>> FAIL  %s%s\n' "$1" "${2:+: $2}"; }
skip() { SKIPPED+=("$1"); printf '>>>>>>>> SKIP  %s: %s\n' "$1" "$2"; }
verdict() { if [ -z "$2" ]; then pass "$1"; else fail "$1" "$2"; fi; }
indent() { sed 's/^/    /'; }
die() { echo "tests/container/run.sh: $*" >&2; exit 2; }

# The end of every run: what this run made is removed and the engine it started stopped first, so
# the last line is the count.
summary() {
  cleanup
  banner "summary"
  local n
  for n in "${PASSED[@]}"; do echo "PASS  $n"; done
  for n in "${SKIPPED[@]}"; do echo "SKIP  $n"; done
  for n in "${FAILED[@]}"; do echo "FAIL  $n"; done
  [ ${#SKIPPED[@]} = 0 ] || echo "${#SKIPPED[@]} skipped (reasons above)"
  echo "${#PASSED[@]} passed, ${#FAILED[@]} failed"
}
# A step everything after it depends on failed: say so, stop here.
fatal() { fail "$1" "$2"; echo "(the checks after this one need it; not run)"; summary; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (a container engine, chroot, debootstrap)"
command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is required"
[ -x "$AGENT" ] || die "$AGENT not found; run ./build.sh publish $RID"
missing=()
{ [ -x "$DOCKER" ] && command -v dockerd >/dev/null; } || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
if [ ${#missing[@]} -gt 0 ]; then
  banner "installing ${missing[*]}"
  timeout 300 apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "cannot install ${missing[*]}"
fi

WORK=$(mktemp -d /tmp/leoflow-container.XXXXXX)
export WORK DOCKER AGENT RID
DOCKERD_PID="" CONTAINERD_PID="" CONTAINERS=() VOLUMES=()
# Removes this run's containers and volumes (those already gone are no error), stops the dockerd it
# started; safe to call twice.
cleanup() {
  local pid
  if [ ${#CONTAINERS[@]} -gt 0 ]; then timeout 60 "$DOCKER" rm -f "${CONTAINERS[@]}" >/dev/null 2>&1; fi
  if [ ${#VOLUMES[@]} -gt 0 ]; then timeout 60 "$DOCKER" volume rm -f "${VOLUMES[@]}" >/dev/null 2>&1; fi
  CONTAINERS=() VOLUMES=()
  if [ -n "$DOCKERD_PID" ]; then
    banner "stopping the dockerd this run started (pid $DOCKERD_PID)"
    kill -TERM "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && { echo "dockerd did not stop within 30s: SIGKILL"; kill -KILL "$DOCKERD_PID"; }
    wait "$DOCKERD_PID" 2>/dev/null
    # dockerd stops the containerd it started itself; make sure, by that process's id.
    for pid in $CONTAINERD_PID; do
      [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = containerd ] \
        && { echo "its containerd (pid $pid) outlived it: SIGTERM"; kill -TERM "$pid"; }
    done
    DOCKERD_PID="" CONTAINERD_PID=""
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# check NAME CMD...: runs CMD (bounded), shows what ran and its output, PASS on exit 0. CMD may be a
# function of this script, exported with the variables it uses (timeout runs it in a new bash).
check() {
  local name=$1; shift
  banner "CHECK $name"
  echo "\$ $*"
  local out rc
  out=$(timeout -k 5 "$STEP_TIMEOUT" bash -c '"$@"' check "$@" 2>&1); rc=$?
  printf '%s\n' "$out" | indent
  if [ $rc = 124 ] || [ $rc = 137 ]; then fail "$name" "timed out after ${STEP_TIMEOUT}s"
  elif [ $rc = 0 ]; then pass "$name"
  else fail "$name" "exit status $rc"; fi
  return $rc
}

banner "container engine"
if timeout 20 "$DOCKER" info >/dev/null 2>&1; then
  ENGINE="an engine already running (left running)"
else
  echo "\$ dockerd --iptables=false --storage-driver=vfs --pidfile $WORK/dockerd.pid  (log: $WORK/dockerd.log)"
  dockerd --iptables=false --storage-driver=vfs --pidfile "$WORK/dockerd.pid" >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  ENGINE="dockerd started here (pid $DOCKERD_PID), stopped at exit"
  for _ in $(seq 60); do
    timeout 10 "$DOCKER" info >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 1
  done
  # The containerd that dockerd starts as its child, so its end can be checked too.
  CONTAINERD_PID=$(ps --ppid "$DOCKERD_PID" -o pid=,comm= 2>/dev/null | awk '$2 == "containerd" {print $1}')
fi
if ! timeout 20 "$DOCKER" info >/dev/null 2>&1; then
  [ -f "$WORK/dockerd.log" ] && tail -30 "$WORK/dockerd.log" | indent
  if [ -z "$DOCKERD_PID" ]; then why="the engine that was running stopped answering"
  elif kill -0 "$DOCKERD_PID" 2>/dev/null; then why="dockerd did not answer within 60s (its log is above)"
  else wait "$DOCKERD_PID"; why="dockerd exited with status $? (its log is above)"; DOCKERD_PID=""; fi
  fatal "engine: a Docker engine answers" "$why: this machine cannot run the container checks"
fi
pass "engine: a Docker engine answers: $ENGINE, $(timeout 20 "$DOCKER" info -f 'server {{.ServerVersion}}, {{.Driver}} storage, cgroup v{{.CgroupVersion}}' 2>&1)"

banner "preparing: dev control plane, roots"
timeout 600 dotnet build "$ROOT/tests/LeoFlow.ControlPlane" -c Release -v:q -nologo 2>&1 | indent
[ -f "$PLANE" ] || fatal "dev control plane builds" "no $PLANE"

# The Debian 12 minimal root of eng/sysroot.sh (shared with tests/portability) with python3 added
# from the package mirror, cached beside it and rebuilt when the root under it changes; prints its path.
python_root() {
  local base dest recipe tmp
  base=$(timeout 1200 "$ROOT/eng/sysroot.sh" rootfs bookworm "$ARCH") || return 1
  dest=$CACHE/rootfs-bookworm-$ARCH-python3
  recipe="$(cat "$base/.leoflow-recipe") + python3"
  if [ "$(cat "$dest/.leoflow-recipe" 2>/dev/null)" != "$recipe" ]; then
    exec 8>"$CACHE/.lock-$(basename "$dest")"
    flock 8
    if [ "$(cat "$dest/.leoflow-recipe" 2>/dev/null)" != "$recipe" ]; then
      echo "adding python3 to a copy of $base" >&2
      tmp=$dest.tmp.$$
      rm -rf "$tmp"
      cp -a "$base" "$tmp"
      cp "$tmp/etc/resolv.conf" "$tmp/etc/resolv.conf.orig" 2>/dev/null
      cp /etc/resolv.conf "$tmp/etc/resolv.conf"
      if ! timeout 600 chroot "$tmp" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive;
          apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 && apt-get clean' \
          >"$tmp.log" 2>&1; then
        tail -20 "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"; exec 8>&-; return 1
      fi
      rm -rf "$tmp"/var/lib/apt/lists/* "$tmp.log"
      if [ -f "$tmp/etc/resolv.conf.orig" ]; then mv "$tmp/etc/resolv.conf.orig" "$tmp/etc/resolv.conf"; else rm -f "$tmp/etc/resolv.conf"; fi
      printf '%s' "$recipe" > "$tmp/.leoflow-recipe"
      rm -rf "$dest"
      mv "$tmp" "$dest"
    fi
    exec 8>&-
  fi
  echo "$dest"
}

BULLSEYE=$(timeout 1200 "$ROOT/eng/sysroot.sh" rootfs bullseye "$ARCH") || fatal "roots: Debian 11" "eng/sysroot.sh rootfs bullseye $ARCH failed"
PY_ROOT=$(python_root) || fatal "roots: Debian 12 with python3" "could not make it"
GLIBC_ROOT=$WORK/glibc-only-$ARCH
timeout 1200 "$ROOT/eng/sysroot.sh" glibc-root "$ARCH" "$GLIBC_ROOT" || fatal "roots: glibc only" "eng/sysroot.sh glibc-root $ARCH failed"

# load_root IMAGE ARCH DIR [USER]: DIR as a one-layer image, loaded from an archive written here so
# the architecture is set (docker import cannot set it). Names, modes and owners are kept, times are
# zeroed: the same root gives the same image, and a rerun adds nothing to the engine's storage.
load_root() {
  local image=$1 arch=$2 dir=$3 user=${4:-} a=$WORK/image-archive layer_sha
  rm -rf "$a" && mkdir -p "$a"
  tar -C "$dir" --exclude=./.leoflow-recipe --sort=name --mtime=@0 --numeric-owner -cf "$a/layer.tar" . || return 1
  layer_sha=$(sha256sum "$a/layer.tar" | cut -d' ' -f1)
  printf '{"architecture":"%s","os":"linux","config":{"User":"%s","Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$arch" "$user" "$layer_sha" > "$a/config.json"
  printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$image" > "$a/manifest.json"
  tar -C "$a" -c manifest.json config.json layer.tar | timeout 300 "$DOCKER" load || return 1
  rm -rf "$a"
  timeout 60 "$DOCKER" image inspect -f "$image: {{.Architecture}}, {{.Size}} bytes, user '{{.Config.User}}'" "$image"
}
export -f load_root

# The stand-in for gcr.io/distroless/cc-debian12:nonroot: less than it (no libssl, libgcc_s, CA
# bundle or passwd), and its user, 65532. Also a task image, where a bash task must fail cleanly.
GLIBC_IMAGE=$IMAGES/glibc-only:$ARCH
DEBIAN11_IMAGE=$IMAGES/debian11:$ARCH
PYTHON_IMAGE=$IMAGES/debian12-python3:$ARCH
INIT_IMAGE=$IMAGES/agent-init:$ARCH
check "base image: glibc only (distroless/cc stand-in) from $GLIBC_ROOT" load_root "$GLIBC_IMAGE" "$ARCH" "$GLIBC_ROOT" 65532:65532 \
  || fatal "base images" "cannot load $GLIBC_IMAGE"
check "base image: Debian 11 with bash from $BULLSEYE" load_root "$DEBIAN11_IMAGE" "$ARCH" "$BULLSEYE" \
  || fatal "base images" "cannot load $DEBIAN11_IMAGE"
check "base image: Debian 12 with python3 from $PY_ROOT" load_root "$PYTHON_IMAGE" "$ARCH" "$PY_ROOT" \
  || fatal "base images" "cannot load $PYTHON_IMAGE"

# build_init LOG [docker build args...]: Dockerfile.distroless built by the engine's BuildKit from the
# published binary; shows the build's output.
build_init() {
  local log=$1; shift
  echo "\$ DOCKER_BUILDKIT=1 docker build --progress=plain -f Dockerfile.distroless --build-arg AGENT_SOURCE=dist $*"
  timeout -k 5 300 "$DOCKER" build --progress=plain -f "$ROOT/Dockerfile.distroless" --build-arg AGENT_SOURCE=dist "$@" >"$log" 2>&1
  local rc=$?
  indent < "$log"
  return $rc
}
# image_file IMAGE PATH DEST: copies PATH out of IMAGE (a container created, never started).
image_file() {
  local c rc
  c=$(timeout 60 "$DOCKER" create "$1" 2>/dev/null) || return 1
  timeout 60 "$DOCKER" cp "$c:$2" "$3"; rc=$?
  timeout 60 "$DOCKER" rm "$c" >/dev/null
  return $rc
}

banner "CHECK Dockerfile.distroless: nothing to fetch but its base images, which are arguments"
echo "\$ grep -n -E '^# *syntax=|^ARG (SDK|BASE)_IMAGE=|^FROM ' Dockerfile.distroless"
grep -n -E '^# *syntax=|^ARG (SDK|BASE)_IMAGE=|^FROM ' "$ROOT/Dockerfile.distroless" | indent
why=""
grep -q -E '^# *syntax=' "$ROOT/Dockerfile.distroless" && why="a syntax directive makes BuildKit fetch a frontend image"
grep -q '^ARG SDK_IMAGE=' "$ROOT/Dockerfile.distroless" || why=${why:-"no SDK_IMAGE argument"}
grep -q '^ARG BASE_IMAGE=' "$ROOT/Dockerfile.distroless" || why=${why:-"no BASE_IMAGE argument"}
# shellcheck disable=SC2016 # the pattern matches a literal ${...}
grep -E '^FROM ' "$ROOT/Dockerfile.distroless" | grep -v -q -E '\$\{?(SDK|BASE)_IMAGE\}?( |$)|^FROM (scratch|build|agent-[A-Za-z${}_-]+)( |$)' \
  && why=${why:-"a FROM names an image that is not a build argument"}
verdict "Dockerfile.distroless: no syntax directive, SDK and base images are build arguments" "$why"

banner "CHECK init image: Dockerfile.distroless builds offline from dist/$RID on the local base"
if build_init "$WORK/build.log" --build-arg BASE_IMAGE="$GLIBC_IMAGE" -t "$INIT_IMAGE" "$ROOT"; then
  # All an offline build may resolve is the local base: no frontend image, no SDK image.
  others=$(grep -o 'load metadata for [^ ]*' "$WORK/build.log" | sort -u | grep -v -x "load metadata for docker.io/$GLIBC_IMAGE")
  if [ -n "$others" ]; then fail "init image: Dockerfile.distroless builds offline from dist/$RID" "it resolved other images: $others"
  else pass "init image: Dockerfile.distroless builds offline from dist/$RID (the only image it resolved: the local $GLIBC_IMAGE)"; fi
else
  fatal "init image: Dockerfile.distroless builds offline from dist/$RID" "docker build failed (output above)"
fi

banner "CHECK init image: holds dist's binary as /leoflow-agent (0755), entrypoint installs it, user 65532"
echo "\$ docker image inspect $INIT_IMAGE; docker create + docker cp $INIT_IMAGE:/leoflow-agent"
config=$(timeout 60 "$DOCKER" image inspect -f '{{json .Config.Entrypoint}} user={{.Config.User}} arch={{.Architecture}}' "$INIT_IMAGE" 2>&1)
echo "$config" | indent
why=""
image_file "$INIT_IMAGE" /leoflow-agent "$WORK/from-image" || why="cannot copy /leoflow-agent out of the image"
[ -n "$why" ] || cmp "$AGENT" "$WORK/from-image" || why="/leoflow-agent differs from $AGENT"
[ -n "$why" ] || [ "$(stat -c %a "$WORK/from-image")" = 755 ] || why="/leoflow-agent has mode $(stat -c %a "$WORK/from-image"), want 755"
[ "$config" = "[\"/leoflow-agent\",\"install\",\"/leoflow/agent\"] user=65532:65532 arch=$ARCH" ] || why=${why:-"unexpected image config: $config"}
verdict "init image: /leoflow-agent is dist/$RID/leoflow-agent, mode 0755; entrypoint installs it to /leoflow/agent; user 65532" "$why"

# COPY --chmod from the engine's built-in frontend (no syntax directive asks for a newer one): a
# context whose binary is 0600 must still give 0755.
banner "CHECK init image: COPY --chmod works without a syntax directive (0600 in the context, 0755 in the image)"
CTX=$WORK/chmod-context
mkdir -p "$CTX/dist/$RID" && cp "$AGENT" "$CTX/dist/$RID/leoflow-agent" && chmod 0600 "$CTX/dist/$RID/leoflow-agent"
why=""
if build_init "$WORK/build-chmod.log" --build-arg BASE_IMAGE="$GLIBC_IMAGE" -t "$IMAGES/agent-init:chmod-check" "$CTX"; then
  rm -f "$WORK/from-image"
  if ! image_file "$IMAGES/agent-init:chmod-check" /leoflow-agent "$WORK/from-image"; then why="cannot copy /leoflow-agent out"
  elif [ "$(stat -c %a "$WORK/from-image")" != 755 ]; then why="mode $(stat -c %a "$WORK/from-image") in the image"; fi
else why="docker build failed (output above)"; fi
timeout 60 "$DOCKER" rmi "$IMAGES/agent-init:chmod-check" >/dev/null 2>&1
verdict "init image: COPY --chmod works without a syntax directive (0600 in the context, 0755 in the image)" "$why"

# The other architecture: TARGETARCH picks dist/linux-arm64 and the arm64 base. Built and inspected,
# not run (this engine runs amd64 only; the arm64 binary runs under qemu-user in tests/portability).
if [ "$ARCH" = amd64 ]; then
  banner "CHECK init image for linux/arm64: --platform linux/arm64 takes dist/linux-arm64"
  if [ ! -x "$ARM64_AGENT" ]; then
    skip "init image for linux/arm64" "$ARM64_AGENT not published (./build.sh publish linux-arm64, as ./build.sh portability does)"
  else
    why=""
    GLIBC_ARM64_ROOT=$WORK/glibc-only-arm64
    echo "\$ eng/sysroot.sh glibc-root arm64 $GLIBC_ARM64_ROOT; load_root $IMAGES/glibc-only:arm64 arm64 $GLIBC_ARM64_ROOT 65532:65532"
    if ! timeout 1200 "$ROOT/eng/sysroot.sh" glibc-root arm64 "$GLIBC_ARM64_ROOT"; then why="eng/sysroot.sh glibc-root arm64 failed"
    elif ! timeout "$STEP_TIMEOUT" bash -c 'load_root "$@"' load_root "$IMAGES/glibc-only:arm64" arm64 "$GLIBC_ARM64_ROOT" 65532:65532 | indent; then
      why="cannot load the arm64 base"
    elif ! build_init "$WORK/build-arm64.log" --platform linux/arm64 --build-arg BASE_IMAGE="$IMAGES/glibc-only:arm64" -t "$IMAGES/agent-init:arm64" "$ROOT"; then
      why="docker build --platform linux/arm64 failed (output above)"
    else
      rm -f "$WORK/from-image"
      arch=$(timeout 60 "$DOCKER" image inspect -f '{{.Architecture}}' "$IMAGES/agent-init:arm64")
      echo "$IMAGES/agent-init:arm64: architecture $arch" | indent
      if [ "$arch" != arm64 ]; then why="image architecture $arch"
      elif ! image_file "$IMAGES/agent-init:arm64" /leoflow-agent "$WORK/from-image"; then why="cannot copy /leoflow-agent out"
      elif ! cmp "$ARM64_AGENT" "$WORK/from-image"; then why="/leoflow-agent is not dist/linux-arm64/leoflow-agent"
      elif [ "$(stat -c %a "$WORK/from-image")" != 755 ]; then why="mode $(stat -c %a "$WORK/from-image")"; fi
    fi
    verdict "init image for linux/arm64: arm64 image holding dist/linux-arm64/leoflow-agent (0755), built, not run" "$why"
  fi
fi

# The pod. The shared volume stands for the emptyDir, which the kubelet creates world-writable
# (0777), so the init container's uid 65532 can write into it.
VOLUME=$PREFIX-agent
VOLUMES+=("$VOLUME")
timeout 60 "$DOCKER" volume create "$VOLUME" >/dev/null || fatal "pod: shared volume" "docker volume create failed"
VOLUME_DIR=$(timeout 60 "$DOCKER" volume inspect -f '{{.Mountpoint}}' "$VOLUME") || fatal "pod: shared volume" "docker volume inspect failed"
chmod 0777 "$VOLUME_DIR" || fatal "pod: shared volume" "cannot make $VOLUME_DIR world-writable"

export PREFIX VOLUME VOLUME_DIR INIT_IMAGE

# init_container N: the init container as the pod spec has it (the image's user and entrypoint,
# read-only root, no capabilities), then what it left in the volume.
init_container() {
  local cmd=("$DOCKER" run --rm --name "$PREFIX-init-$1" --read-only --cap-drop ALL --security-opt no-new-privileges
    -v "$VOLUME:/leoflow" "$INIT_IMAGE")
  echo "\$ ${cmd[*]}"
  "${cmd[@]}" || return 1
  echo "\$ ls -la $VOLUME_DIR"
  ls -la "$VOLUME_DIR"
  cmp "$AGENT" "$VOLUME_DIR/agent" || return 1
  [ "$(stat -c %a "$VOLUME_DIR/agent")" = 755 ] || { echo "agent has mode $(stat -c %a "$VOLUME_DIR/agent"), want 755"; return 1; }
  [ "$(ls -A "$VOLUME_DIR")" = agent ] || { echo "the volume holds more than agent"; return 1; }
  echo "the volume holds only agent, identical to dist/$RID/leoflow-agent, mode 0755"
}
export -f init_container
CONTAINERS+=("$PREFIX-init-1" "$PREFIX-init-2")
check "init container: installs the agent into the shared volume" init_container 1 \
  || fatal "init container" "the task containers need the installed agent"
check "init container again (as a restarted one would): idempotent" init_container 2

# Task containers. The dev control plane starts "the agent" with the address, token and task
# instance id in its environment; here that agent is a launcher that passes those three into a
# task container, which runs /leoflow/agent as PID 1 the way the pod's task container does.
N=0
# start_task LABEL IMAGE TASK_FILE [docker run options...]: the control plane serving TASK_FILE, in
# the background (TASK_PID), its output in TASK_OUT; the container is CNAME, its termination log TERMLOG.
start_task() {
  local label=$1 image=$2 file=$3; shift 3
  N=$((N + 1))
  CNAME=$PREFIX-task-$N
  CONTAINERS+=("$CNAME")
  TERMLOG=$WORK/termination-log-$N
  : > "$TERMLOG" && chmod 0666 "$TERMLOG"
  TASK_OUT=$WORK/task-$N.out
  local launcher=$WORK/launch-$N.sh arg
  {
    echo '#!/usr/bin/env bash'
    printf 'exec %q run --name %q' "$DOCKER" "$CNAME"
    for arg in --network host --read-only --tmpfs /tmp --user 65532:65532 --cap-drop ALL \
        --security-opt no-new-privileges -v "$VOLUME:/leoflow:ro" -v "$TERMLOG:/dev/termination-log" -w /tmp \
        -e LEOFLOW_CONTROL_PLANE_ADDR -e LEOFLOW_AGENT_TOKEN -e LEOFLOW_TASK_INSTANCE_ID -e TMPDIR=/tmp "$@"; do
      case "$arg" in -*) printf ' \\\n  %q' "$arg" ;; *) printf ' %q' "$arg" ;; esac
    done
    printf ' \\\n  %q /leoflow/agent\n' "$image"
  } > "$launcher"
  chmod +x "$launcher"
  banner "TASK $label"
  echo "\$ dotnet LeoFlow.ControlPlane.dll --task ${file#"$ROOT"/} --agent $launcher"
  sed 's/^/    │ /' "$launcher"
  timeout -k 5 "$STEP_TIMEOUT" dotnet "$PLANE" --task "$file" --agent "$launcher" >"$TASK_OUT" 2>&1 &
  TASK_PID=$!
}
# finish_task: waits for the control plane; TASK_RC its exit status, CEXIT the container's exit code.
finish_task() {
  wait "$TASK_PID"; TASK_RC=$?
  indent < "$TASK_OUT"
  CEXIT=$(timeout 30 "$DOCKER" inspect -f '{{.State.ExitCode}}' "$CNAME" 2>/dev/null || echo none)
  local oom
  oom=$(timeout 30 "$DOCKER" inspect -f '{{.State.OOMKilled}}' "$CNAME" 2>/dev/null)
  echo "    -- control plane exit status $TASK_RC; container exit code $CEXIT (engine's OOMKilled: ${oom:-?});" \
    "/dev/termination-log: $(if [ -s "$TERMLOG" ]; then printf '"%s"' "$(cat "$TERMLOG")"; else echo empty; fi)"
  timeout 60 "$DOCKER" rm -f "$CNAME" >/dev/null 2>&1
  [ "$TASK_RC" = 124 ] || [ "$TASK_RC" = 137 ] && echo "    -- the control plane was stopped after ${STEP_TIMEOUT}s"
}
run_task() { start_task "$@"; finish_task; }
# has REGEX: the last task's control plane output matches.
has() { grep -q -E -- "$1" "$TASK_OUT"; }
# wait_for REGEX: until the running task's output matches (bounded); false when it ended or timed out.
wait_for() {
  local i
  for ((i = 0; i < STEP_TIMEOUT * 5; i++)); do
    has "$1" && return 0
    kill -0 "$TASK_PID" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
# succeeded: the task ended SUCCESS, the container exited 0 and left no failure reason.
succeeded() {
  if [ "$TASK_RC" != 0 ]; then echo "control plane exit status $TASK_RC"
  elif ! has '^final state: Success \(exit code 0\)'; then echo "no SUCCESS final state"
  elif [ "$CEXIT" != 0 ]; then echo "container exit code $CEXIT, want 0"
  elif [ -s "$TERMLOG" ]; then echo "a failure reason in /dev/termination-log: $(cat "$TERMLOG")"; fi
}
# failed_with REGEX: the task ended FAILED matching REGEX, the agent exited 1 on its own and wrote
# the reason (matching REGEX too) into /dev/termination-log.
failed_with() {
  if [ "$TASK_RC" != 1 ]; then echo "control plane exit status $TASK_RC, want 1"
  elif ! has "^final state: Failed $1"; then echo "no FAILED final state matching '$1'"
  elif [ "$CEXIT" != 1 ]; then echo "container exit code $CEXIT, want the agent's own 1"
  elif ! grep -q -E -- "${2:-$1}" "$TERMLOG"; then echo "/dev/termination-log does not hold the reason: '$(cat "$TERMLOG")'"; fi
}
# facts LABEL: the pod-facts task's view of its container.
facts() {
  local label=$1 why=""
  has '^  │ task\.stdout INFO  fact pid1: /leoflow/agent ?$' || why="PID 1 is not /leoflow/agent"
  has '^  │ task\.stdout INFO  fact ids: uid=65532 gid=65532$' || why=${why:-"the task does not run as 65532:65532"}
  has '^  │ task\.stdout INFO  fact root: read-only$' || why=${why:-"the root filesystem is writable"}
  has '^  │ task\.stdout INFO  fact tmp: tmpfs$' || why=${why:-"/tmp is not a tmpfs"}
  has '^  │ task\.stdout INFO  fact token: hidden$' || why=${why:-"the task sees the agent's token"}
  has '^XCom pushed: return_value = \{"facts": "reported"\}' || why=${why:-"no return value"}
  why=${why:-$(succeeded)}
  verdict "$label: /leoflow/agent is PID 1, uid/gid 65532, read-only root, /tmp a tmpfs, token hidden" "$why"
}

# The glibc-only image, as a task image: no shell at all.
run_task "glibc only: a bash task without bash" "$GLIBC_IMAGE" "$ROOT/samples/bash-task.json"
verdict "glibc only: a bash task without bash fails cleanly, its reason in /dev/termination-log" "$(failed_with '.*bash')"

run_task "Debian 11: bash sample task" "$DEBIAN11_IMAGE" "$ROOT/samples/bash-task.json"
why=""
has 'task\.stdout INFO  hello from .*greeting=hi, upstream=\[1, 2, 3\]' || why="task stdout did not arrive"
has '^XCom pushed: return_value = \{"sum": 6\}' || why=${why:-"return value was not pushed"}
verdict "Debian 11: bash task succeeds, its log and XCom reach the control plane" "${why:-$(succeeded)}"

run_task "Debian 11: what the task sees" "$DEBIAN11_IMAGE" "$TASKS/pod-facts.json"
facts "Debian 11"

PYTHON_ENV=(-v "$ROOT/tests/python:/opt/leoflow-python:ro" -e PYTHONPATH=/opt/leoflow-python -e LEOFLOW_PYTHON=python3
  -e PYTHONUNBUFFERED=1 -e PYTHONDONTWRITEBYTECODE=1)
run_task "Debian 12 + python3: python sample task" "$PYTHON_IMAGE" "$ROOT/samples/python-task.json" "${PYTHON_ENV[@]}"
why=""
has 'task\.stdout INFO  adding \[1, 2, 3\] with offset 10' || why="task stdout did not arrive"
has '^XCom pushed: return_value = \{"total": 16\}' || why=${why:-"return value was not pushed"}
verdict "Debian 12 + python3: python task succeeds, its log and XCom reach the control plane" "${why:-$(succeeded)}"

run_task "Debian 12 + python3: what the task sees" "$PYTHON_IMAGE" "$TASKS/pod-facts.json"
facts "Debian 12 + python3"

# stop_task READY_REGEX: once the task is running, `docker stop -t STOP_GRACE` (SIGTERM, then
# the engine's SIGKILL); sets STOP_SECONDS.
stop_task() {
  if ! wait_for "$1"; then
    echo "    -- the task never reported '$1'"
    STOP_SECONDS=none
    return 1
  fi
  echo "\$ docker stop -t $STOP_GRACE $CNAME"
  local t0=$SECONDS
  timeout $((STOP_GRACE + 30)) "$DOCKER" stop -t "$STOP_GRACE" "$CNAME" | indent
  STOP_SECONDS=$((SECONDS - t0))
  echo "    -- docker stop returned after ${STOP_SECONDS}s"
}
stopped_in_time() {
  if [ "$STOP_SECONDS" = none ]; then echo "the task was not running"
  elif [ "$STOP_SECONDS" -ge "$STOP_GRACE" ]; then echo "docker stop took ${STOP_SECONDS}s: the engine's SIGKILL ended it"; fi
}

start_task "Debian 11: docker stop, the task traps SIGTERM" "$DEBIAN11_IMAGE" "$TASKS/sigterm-trapped.json"
stop_task "task\.stdout INFO  task: running until stopped"
finish_task
why=$(stopped_in_time)
why=${why:-$(failed_with '\(exit code 143\): terminated by SIGTERM$' '^terminated by SIGTERM$')}
has 'task\.stdout INFO  task: SIGTERM received' || why=${why:-"the task's trap did not run"}
verdict "Debian 11: docker stop -t $STOP_GRACE: FAILED \"terminated by SIGTERM\" (exit 143), the agent exits on its own in time" "$why"

start_task "Debian 11: docker stop, the task ignores SIGTERM" "$DEBIAN11_IMAGE" "$TASKS/sigterm-ignored.json" -e LEOFLOW_AGENT_GRACE_PERIOD=3
stop_task "task\.stdout INFO  task: running, ignoring SIGTERM"
finish_task
why=$(stopped_in_time)
why=${why:-$(failed_with '.*terminated by SIGTERM \(killed by SIGKILL\)$' '^terminated by SIGTERM')}
verdict "Debian 11: docker stop -t $STOP_GRACE, SIGTERM ignored: the agent kills the task after its 3s grace period and still reports" "$why"

run_task "Debian 11: a task past its memory limit (--memory 64m)" "$DEBIAN11_IMAGE" "$TASKS/memory-runaway.json" \
  --memory 64m --memory-swap 64m
verdict "Debian 11: --memory 64m: a runaway task is FAILED \"killed by the OOM killer\" (exit 137), reported by the surviving agent" \
  "$(failed_with '\(exit code 137\): .*killed by the OOM killer' 'killed by the OOM killer')"

run_task "Debian 11: an orphan left by the task" "$DEBIAN11_IMAGE" "$TASKS/orphan.json"
why=""
has 'task\.stdout INFO  task: orphan [0-9]+ is in state [A-Z], parent 1$' || why="the orphan was not re-parented to PID 1"
has 'task\.stdout INFO  task: orphan [0-9]+ was reaped$' || why=${why:-"the orphan was not reaped (still a zombie)"}
verdict "Debian 11: an orphaned child of the task is re-parented to the agent (PID 1) and reaped" "${why:-$(succeeded)}"

summary
[ ${#FAILED[@]} = 0 ]
