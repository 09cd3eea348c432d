#!/usr/bin/env bash
# Portability checks for the published binaries (./build.sh portability runs this after publishing):
#   - both binaries need only glibc's libraries and at most GLIBC_2.28 (RHEL/UBI 8, Debian 10);
#   - the linux-x64 agent runs a whole bash task against the dev control plane, in plaintext and over
#     TLS with a CA file, inside chroots of minimal Debian 11 and Debian 12 roots, and inside a root
#     holding only the loader, glibc, a CA bundle and the agent (no libssl, libz, libgcc_s or shell:
#     less than distroless/cc), where it is also installed with `leoflow-agent install`;
#   - the linux-arm64 agent does the same under qemu-user.
# The control plane runs outside the chroots on 127.0.0.1 (a chroot shares the network namespace).
# Roots are cached in /var/cache/leoflow (eng/sysroot.sh). Needs root, qemu-user-static, busybox-static,
# openssl and the .NET SDK. Every step is bounded by a timeout. Exit status 1 if any check FAILs.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
X64=$ROOT/dist/linux-x64/leoflow-agent
ARM64=$ROOT/dist/linux-arm64/leoflow-agent
TASK=$ROOT/samples/bash-task.json
PLANE=$ROOT/tests/LeoFlow.ControlPlane/bin/Release/net10.0/LeoFlow.ControlPlane.dll
TASK_TIMEOUT=${LEOFLOW_PORTABILITY_TIMEOUT:-120}
# Where the agent goes inside the cached Debian roots; removed again on exit.
IN_ROOT=/opt/leoflow-portability

# Only what each check sets: no trust-store hints leak in from the caller.
unset LEOFLOW_AGENT_TLS_CA SSL_CERT_FILE SSL_CERT_DIR
PASSED=() FAILED=() SKIPPED=()
banner() { printf '\n======== %s\n' "$*"; }
pass() { PASSED+=("$1"); printf '>>>>>>>> PASS  %s\n' "$1"; }
fail() { FAILED+=("$1"); printf '>>>>>>>> FAIL  %s%s\n' "$1" "${2:+: $2}"; }
skip() { SKIPPED+=("$1"); printf '>>>>>>>> SKIP  %s: %s\n' "$1" "$2"; }
indent() { sed 's/^/    /'; }

[ "$(id -u)" = 0 ] || { echo "tests/portability/run.sh: must run as root (chroot, debootstrap)" >&2; exit 2; }
for tool in qemu-aarch64-static openssl dotnet chroot timeout; do
  command -v "$tool" >/dev/null || { echo "tests/portability/run.sh: $tool is missing (./build.sh deps portability)" >&2; exit 2; }
done
[ -x /bin/busybox ] || { echo "tests/portability/run.sh: /bin/busybox (busybox-static) is missing" >&2; exit 2; }
for bin in "$X64" "$ARM64"; do
  [ -x "$bin" ] || { echo "tests/portability/run.sh: $bin not found; run ./build.sh portability" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/leoflow-portability.XXXXXX)
DEBIAN_ROOTS=()
cleanup() {
  local r
  for r in "${DEBIAN_ROOTS[@]}"; do rm -rf "${r:?}$IN_ROOT"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

banner "preparing: dev control plane, certificates, roots"
dotnet build "$ROOT/tests/LeoFlow.ControlPlane" -c Release -v:q -nologo 2>&1 | indent
[ -f "$PLANE" ] || { echo "dev control plane did not build" >&2; exit 1; }

# A throwaway CA, a server certificate for 127.0.0.1 (IP SAN, as the agent dials an IP), and an
# unrelated CA the agent must refuse.
(
  cd "$WORK"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=leoflow-portability-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.crt
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' > server.ext
  openssl x509 -req -days 2 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -extfile server.ext -out server.crt
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=unrelated-ca -keyout other.key -out other.crt
  # The same chain with RSA keys, the other kind a control plane's certificate may have.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=leoflow-portability-rsa-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -keyout rsa-ca.key -out rsa-ca.crt
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout rsa-server.key -out rsa-server.csr
  sed 's/digitalSignature/digitalSignature,keyEncipherment/' server.ext > rsa-server.ext
  openssl x509 -req -days 2 -in rsa-server.csr -CA rsa-ca.crt -CAkey rsa-ca.key -CAcreateserial -extfile rsa-server.ext -out rsa-server.crt
) >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log" >&2; echo "certificate generation failed" >&2; exit 1; }
TLS_ARGS=(--tls-cert "$WORK/server.crt" --tls-key "$WORK/server.key")
RSA_TLS_ARGS=(--tls-cert "$WORK/rsa-server.crt" --tls-key "$WORK/rsa-server.key")

BULLSEYE=$("$ROOT/eng/sysroot.sh" rootfs bullseye amd64) || exit 1
BOOKWORM=$("$ROOT/eng/sysroot.sh" rootfs bookworm amd64) || exit 1
GLIBC_X64=$WORK/glibc-only-amd64
GLIBC_ARM64=$WORK/glibc-only-arm64
"$ROOT/eng/sysroot.sh" glibc-root amd64 "$GLIBC_X64" || exit 1
"$ROOT/eng/sysroot.sh" glibc-root arm64 "$GLIBC_ARM64" || exit 1

# check NAME CMD...: runs CMD (bounded), shows what ran and its output, PASS on exit 0.
check() {
  local name=$1; shift
  banner "CHECK $name"
  echo "\$ $*"
  local out rc
  out=$(timeout -k 5 "$TASK_TIMEOUT" "$@" 2>&1); rc=$?
  printf '%s\n' "$out" | indent
  if [ $rc = 124 ] || [ $rc = 137 ]; then fail "$name" "timed out after ${TASK_TIMEOUT}s"
  elif [ $rc = 0 ]; then pass "$name"
  else fail "$name" "exit status $rc"; fi
}

# task NAME EXPECT LAUNCHER [control plane args...]: serves samples/bash-task.json from the dev control
# plane and lets it start LAUNCHER (a script that execs the agent in its environment) as the agent.
# EXPECT=success: the task succeeded, its log lines and its return value reached the control plane.
# EXPECT=refused: the agent gave up with exit 1 and a TLS verification error, no task ran.
# EXPECT=no-bash: the task FAILED with a reason naming bash and the agent exited 1.
# ON_TIMEOUT=skip (environment) turns a timeout into a SKIP (used under qemu, see below).
task() {
  local name=$1 expect=$2 launcher=$3; shift 3
  banner "CHECK $name"
  echo "\$ $(env | grep -E '^LEOFLOW_AGENT_TLS_CA=' | tr '\n' ' ')dotnet LeoFlow.ControlPlane.dll --task samples/bash-task.json --agent $launcher $*"
  sed 's/^/    │ /' "$launcher"
  local out rc
  out=$(timeout -k 5 "$TASK_TIMEOUT" dotnet "$PLANE" --task "$TASK" --agent "$launcher" "$@" 2>&1); rc=$?
  printf '%s\n' "$out" | indent
  if [ $rc = 124 ] || [ $rc = 137 ]; then
    if [ "${ON_TIMEOUT:-fail}" = skip ]; then skip "$name" "no result within ${TASK_TIMEOUT}s under qemu-user: treated as the known qemu-user hang of Native AOT binaries, not as an agent failure"
    else fail "$name" "timed out after ${TASK_TIMEOUT}s"; fi
    return
  fi
  local why=""
  case "$expect" in
    success)
      [ $rc = 0 ] || why="control plane exit status $rc"
      grep -q 'final state: Success (exit code 0)' <<<"$out" || why="${why:-no SUCCESS final state}"
      grep -q 'task.stdout INFO  hello from .*greeting=hi, upstream=\[1, 2, 3\]' <<<"$out" || why="${why:-task stdout did not arrive}"
      grep -q 'XCom pushed: return_value = {"sum": 6}' <<<"$out" || why="${why:-return value was not pushed}"
      ;;
    refused)
      [ $rc = 1 ] || why="control plane exit status $rc, want 1"
      grep -q 'agent exited with 1' <<<"$out" || why="${why:-agent did not exit 1}"
      grep -q 'cert_chain_validation\|certificate' <<<"$out" || why="${why:-no certificate error reported}"
      grep -q 'task.stdout' <<<"$out" && why="${why:-the task ran despite an untrusted server}"
      ;;
    no-bash)
      [ $rc = 1 ] || why="control plane exit status $rc, want 1"
      grep -q 'agent exited with 1' <<<"$out" || why="${why:-agent did not exit 1}"
      grep -q 'final state: Failed.*bash' <<<"$out" || why="${why:-no FAILED final state naming bash}"
      ;;
  esac
  if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why"; fi
}

# launcher FILE CMD...: a script the control plane can start as "the agent"; it keeps the control
# plane's environment (address, token, TLS variables) and runs CMD.
launcher() {
  local file=$1; shift
  { echo '#!/bin/sh'; printf 'exec'; printf ' %q' "$@"; echo ' "$@"'; } > "$file"
  chmod +x "$file"
}

banner "binaries"
check "linux-x64: NEEDED is glibc only, GLIBC <= 2.28" "$ROOT/eng/check-binary.sh" "$X64" 2.28
check "linux-arm64: NEEDED is glibc only, GLIBC <= 2.28" "$ROOT/eng/check-binary.sh" "$ARM64" 2.28

# Debian 11 and 12 minimal roots (debootstrap --variant=minbase): bash, no libssl3 in bullseye.
for pair in "debian11-bullseye:$BULLSEYE" "debian12-bookworm:$BOOKWORM"; do
  label=${pair%%:*} root=${pair#*:}
  DEBIAN_ROOTS+=("$root")
  mkdir -p "$root$IN_ROOT"
  cp "$X64" "$root$IN_ROOT/leoflow-agent"
  cp "$WORK/ca.crt" "$root$IN_ROOT/ca.crt"
  launcher "$WORK/$label.sh" env TMPDIR=/tmp chroot "$root" "$IN_ROOT/leoflow-agent"
  check "$label: --version" chroot "$root" "$IN_ROOT/leoflow-agent" --version
  task "$label: bash task, plaintext" success "$WORK/$label.sh"
  LEOFLOW_AGENT_TLS_CA=$IN_ROOT/ca.crt task "$label: bash task, TLS with a CA file" success "$WORK/$label.sh" "${TLS_ARGS[@]}"
done

# The near-empty root: loader and glibc (Debian 11's), a CA bundle, the agent. Nothing else, except
# the device nodes every OCI runtime creates in a container's /dev (without /dev/urandom the agent
# hangs, and no container lacks it).
G=$GLIBC_X64
mkdir -p "$G/etc/ssl/certs" "$G/leoflow" "$G/dev"
for dev in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r name major minor <<<"$dev"
  mknod -m 666 "$G/dev/$name" c "$major" "$minor"
done
cp "$WORK/ca.crt" "$G/etc/ssl/certs/ca-certificates.crt"
cp "$X64" "$G/leoflow-agent"
banner "glibc-only root: $(cd "$G" && find . ! -type d | grep -v '^./lib/x86_64-linux-gnu/\|^./usr/lib/x86_64-linux-gnu/' | sort | tr '\n' ' ')+ glibc in lib/x86_64-linux-gnu"
check "glibc-only: --version" chroot "$G" /leoflow-agent --version
check "glibc-only: version --json" chroot "$G" /leoflow-agent version --json
# What the init container does: copy itself into the shared volume (no shell, no cp), twice, as a
# restarted init container would; then the task container runs the copy.
check "glibc-only: install /leoflow/agent" chroot "$G" /leoflow-agent install /leoflow/agent
check "glibc-only: install again (idempotent)" chroot "$G" /leoflow-agent install /leoflow/agent
check "glibc-only: installed copy is identical and runs" sh -c "cmp '$X64' '$G/leoflow/agent' && test \"\$(stat -c %a '$G/leoflow/agent')\" = 755 && chroot '$G' /leoflow/agent --version"
launcher "$WORK/glibc-only.sh" env TMPDIR=/tmp PATH=/bin "$(command -v chroot)" "$G" /leoflow/agent
task "glibc-only: bash task without bash fails cleanly" no-bash "$WORK/glibc-only.sh"
# busybox as bash: a static busybox, and a bash that is busybox's sh (Debian's busybox has no bash applet).
mkdir -p "$G/bin"
cp /bin/busybox "$G/bin/busybox"
printf '#!/bin/busybox sh\nexec /bin/busybox sh "$@"\n' > "$G/bin/bash"
chmod 755 "$G/bin/bash"
task "glibc-only + busybox: bash task, plaintext" success "$WORK/glibc-only.sh"
LEOFLOW_AGENT_TLS_CA=/etc/ssl/certs/ca-certificates.crt task "glibc-only + busybox: bash task, TLS with a CA file" success "$WORK/glibc-only.sh" "${TLS_ARGS[@]}"
# No CA file: the agent must find the image's bundle at the Debian/distroless path by itself (the
# static OpenSSL's own default, /usr/lib/ssl/cert.pem, exists in no such image).
task "glibc-only + busybox: bash task, TLS with the system trust store" success "$WORK/glibc-only.sh" "${TLS_ARGS[@]}"
cp "$WORK/rsa-ca.crt" "$G/etc/ssl/certs/rsa-ca.crt"
LEOFLOW_AGENT_TLS_CA=/etc/ssl/certs/rsa-ca.crt task "glibc-only + busybox: bash task, TLS with an RSA certificate" success "$WORK/glibc-only.sh" "${RSA_TLS_ARGS[@]}"
cp "$WORK/other.crt" "$G/etc/ssl/certs/other-ca.crt"
LEOFLOW_AGENT_TLS_CA=/etc/ssl/certs/other-ca.crt task "glibc-only + busybox: TLS server from another CA is refused" refused "$WORK/glibc-only.sh" "${TLS_ARGS[@]}"

# linux-arm64 under qemu-user, its loader and glibc from the arm64 glibc-only root (-L). There is no
# bash in that root, so the agent's bash child is the build machine's own x86-64 bash, which the
# kernel runs natively: the arm64 code under test is the agent's, not bash's.
# Native AOT binaries have been seen to hang under some qemu-user versions right after installing
# their real-time signal handlers; a timeout there is reported as SKIP, not as a failure of the agent.
cp "$WORK/ca.crt" "$GLIBC_ARM64/ca.crt"
launcher "$WORK/arm64.sh" qemu-aarch64-static -L "$GLIBC_ARM64" "$ARM64"
banner "arm64 under $(qemu-aarch64-static --version | head -1)"
out=$(timeout -k 5 60 qemu-aarch64-static -L "$GLIBC_ARM64" "$ARM64" --version 2>&1); rc=$?
if [ $rc = 0 ]; then
  check "linux-arm64 (qemu): --version" qemu-aarch64-static -L "$GLIBC_ARM64" "$ARM64" --version
  ON_TIMEOUT=skip task "linux-arm64 (qemu): bash task, plaintext" success "$WORK/arm64.sh"
  ON_TIMEOUT=skip LEOFLOW_AGENT_TLS_CA=$GLIBC_ARM64/ca.crt task "linux-arm64 (qemu): bash task, TLS with a CA file" success "$WORK/arm64.sh" "${TLS_ARGS[@]}"
elif [ $rc = 124 ] || [ $rc = 137 ]; then
  skip "linux-arm64 (qemu): --version and bash tasks" "hung under qemu-user for 60s (known qemu-user problem with Native AOT start-up)"
else
  printf '%s\n' "$out" | indent
  fail "linux-arm64 (qemu): --version" "exit status $rc"
fi

banner "summary"
for n in "${PASSED[@]}"; do echo "PASS  $n"; done
for n in "${SKIPPED[@]}"; do echo "SKIP  $n"; done
for n in "${FAILED[@]}"; do echo "FAIL  $n"; done
echo "${#PASSED[@]} passed, ${#SKIPPED[@]} skipped, ${#FAILED[@]} failed"
[ ${#FAILED[@]} = 0 ]
