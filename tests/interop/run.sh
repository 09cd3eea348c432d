#!/usr/bin/env bash
# Interop: the published agent against a control plane on grpc-go (tests/interop/grpcgo), the
# server library the production control plane uses, sharing no code with the agent's .NET stack.
#   - plaintext: call order, 20,000 stdout lines and stderr lines numbered without gaps, the XCom
#     input, secrets refused on an insecure channel (the task still runs), the return value, SUCCESS;
#   - TLS with a CA file: the same, and the secrets delivered;
#   - a task exiting 3: FAILED with exit code 3; a wrong token: refused, the agent exits 1.
# Needs golang-go, golang-google-grpc-dev, golang-google-protobuf-dev (./build.sh deps interop) and
# openssl. Builds in GOPATH mode from Debian's packaged sources (no module download). Every step
# is bounded by a timeout. Exit status 1 if any check FAILs.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
AGENT=${LEOFLOW_AGENT_BIN:-$ROOT/dist/linux-x64/leoflow-agent}
[ -x "$AGENT" ] || { echo "tests/interop/run.sh: $AGENT not found; run ./build.sh interop" >&2; exit 2; }
for tool in go openssl timeout; do
  command -v "$tool" >/dev/null || { echo "tests/interop/run.sh: $tool is missing (./build.sh deps interop)" >&2; exit 2; }
done
unset LEOFLOW_AGENT_TLS_CA SSL_CERT_FILE SSL_CERT_DIR
PASSED=() FAILED=()
pass() { PASSED+=("$1"); printf '>>>>>>>> PASS  %s\n' "$1"; }
fail() { FAILED+=("$1"); printf '>>>>>>>> FAIL  %s%s\n' "$1" "${2:+: $2}"; }
indent() { sed 's/^/    /'; }

WORK=$(mktemp -d /tmp/leoflow-interop.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT

printf '\n======== building the grpc-go control plane\n'
if ! (cd tests/interop/grpcgo && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=${GOCACHE:-/var/cache/leoflow/go-build} \
      go build -o "$WORK/plane" .) 2>&1 | indent || [ ! -x "$WORK/plane" ]; then
  echo "tests/interop/run.sh: the grpc-go control plane did not build" >&2
  exit 1
fi
(
  cd "$WORK"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=leoflow-interop-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.crt
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
  openssl x509 -req -days 2 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -extfile server.ext -out server.crt
) >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log" >&2; echo "certificate generation failed" >&2; exit 1; }

LINES=20000
TASK='echo "greeting=$GREETING numbers=$LEOFLOW_XCOM_NUMBERS region=${AIRFLOW_VAR_REGION:-none}"; '\
'seq 1 '$LINES'; echo "to stderr" >&2; echo "again" >&2; printf "{\"sum\": 6}" > "$LEOFLOW_RETURN_VALUE_PATH"'

# start_plane NAME [ARGS...]: a plane in the background; sets PLANE (its pid) and PORT.
start_plane() {
  local name=$1 i; shift
  rm -f "$WORK/$name.port"
  timeout 120 "$WORK/plane" -record "$WORK/$name.record" -port-file "$WORK/$name.port" "$@" >"$WORK/$name.plane" 2>&1 &
  PLANE=$!
  for i in $(seq 1 100); do [ -s "$WORK/$name.port" ] && break; sleep 0.1; done
  PORT=$(cat "$WORK/$name.port" 2>/dev/null)
  [ -n "$PORT" ]
}

# run NAME ENTRYPOINT EXPECTED_EXIT [AGENT ENV...]: one task through the grpc-go plane; leaves
# $WORK/NAME.record (what the plane saw) and $WORK/NAME.out (the agent's own output).
run() {
  local name=$1 entrypoint=$2 expected=$3; shift 3
  local tls=() scheme=http
  if [ "${TLS:-}" = 1 ]; then tls=(-tls-cert "$WORK/server.crt" -tls-key "$WORK/server.key"); scheme=https; fi
  start_plane "$name" -entrypoint "$entrypoint" "${tls[@]}" || { fail "$name" "the plane did not start: $(cat "$WORK/$name.plane")"; return 1; }
  local plane=$PLANE
  env -i PATH="$PATH" HOME="$WORK" LEOFLOW_CONTROL_PLANE_ADDR="$scheme://127.0.0.1:$PORT" \
    LEOFLOW_AGENT_TOKEN=interop-token LEOFLOW_AGENT_TERMINATION_LOG= "$@" \
    timeout 120 "$AGENT" >"$WORK/$name.out" 2>&1
  local rc=$?
  kill "$plane" 2>/dev/null; wait "$plane" 2>/dev/null
  if [ "$rc" != "$expected" ]; then
    fail "$name" "agent exited $rc, expected $expected"
    indent < "$WORK/$name.out" | tail -20
    return 1
  fi
}

# expect NAME CHECK PATTERN...: each pattern (grep -E) must match a line of the record, in this order.
expect() {
  local name=$1 check=$2; shift 2
  local record=$WORK/$name.record pattern from=1 at
  for pattern in "$@"; do
    at=$(tail -n +"$from" "$record" | grep -n -m1 -E -- "$pattern" | cut -d: -f1)
    if [ -z "$at" ]; then
      fail "$name: $check" "no line matching /$pattern/ (in order)"
      indent < "$record" | head -40
      return 1
    fi
    from=$((from + at))
  done
  pass "$name: $check"
}

refuse() {  # refuse NAME CHECK PATTERN: no line of the record matches
  local name=$1 check=$2 pattern=$3
  if grep -q -E -- "$pattern" "$WORK/$name.record"; then fail "$name: $check" "$(grep -m3 -E -- "$pattern" "$WORK/$name.record")"; else pass "$name: $check"; fi
}

printf '\n======== plaintext\n'
if run plaintext "$TASK" 0; then
  expect plaintext "RPC order on the wire" '^wire StreamLogs$' '^wire Register$' '^wire GetTaskSpec$' '^wire FetchXCom$' \
    '^wire GetVariables$' '^wire GetConnections$' '^wire ReportState$' '^wire PushXCom$' '^wire ReportState$'
  expect plaintext "RUNNING, the return value, SUCCESS" '^state RUNNING 0 ""$' \
    '^xcom return_value application/json \{"sum": 6\}$' '^state SUCCESS 0 ""$'
  expect plaintext "task saw its spec env and XCom input, no secrets in plaintext" \
    '^log stdout 1 greeting=hi from grpc-go numbers=\[1, 2, 3\] region=none$'
  expect plaintext "every line delivered, numbered per stream" "^log-count stdout $((LINES + 1))$"
  expect plaintext "stderr numbered separately" '^log stderr 1 to stderr$' '^log stderr 2 again$'
  refuse plaintext "no gap in the numbering" '^log-gap'
  refuse plaintext "token accepted on every call" '^unauthenticated'
  expect plaintext "heartbeat sent" '^call Heartbeat$'
  expect plaintext "every unary call carries its deadline (grpc-timeout)" '^deadline Register (9|10)s$' '^deadline GetTaskSpec (9|10)s$' \
    '^deadline ReportState (9|10)s$' '^deadline PushXCom (9|10)s$'
fi

printf '\n======== TLS with a CA file\n'
if TLS=1 run tls "$TASK" 0 LEOFLOW_AGENT_TLS_CA="$WORK/ca.crt"; then
  expect tls "secrets delivered over TLS" '^log stdout 1 greeting=hi from grpc-go numbers=\[1, 2, 3\] region=eu-west-1$'
  expect tls "every line delivered" "^log-count stdout $((LINES + 1))$" '^state SUCCESS 0 ""$'
  refuse tls "no gap in the numbering" '^log-gap'
fi

printf '\n======== failing task\n'
if run failing 'echo bye; exit 3' 1; then
  expect failing "FAILED with the exit code" '^state RUNNING 0 ""$' '^log stdout 1 bye$' '^state FAILED 3 "task exited non-zero"$'
  refuse failing "no return value pushed" '^call PushXCom$'
fi

printf '\n======== wrong token\n'
if run wrong-token 'echo never' 1 LEOFLOW_AGENT_TOKEN=wrong-token; then
  expect wrong-token "refused by the plane" '^unauthenticated '
  refuse wrong-token "the task never ran" '^state '
  if grep -q "Unauthenticated" "$WORK/wrong-token.out"; then pass "wrong-token: the agent names the refusal"; else
    fail "wrong-token: the agent names the refusal" "$(tail -3 "$WORK/wrong-token.out")"; fi
fi

printf '\n======== control plane restarted while the task runs\n'
RESTART_TASK='sleep 4; seq 1 1000; printf "{\"after\": \"restart\"}" > "$LEOFLOW_RETURN_VALUE_PATH"'
if start_plane restart-1 -entrypoint "$RESTART_TASK"; then
  env -i PATH="$PATH" HOME="$WORK" LEOFLOW_CONTROL_PLANE_ADDR="http://127.0.0.1:$PORT" \
    LEOFLOW_AGENT_TOKEN=interop-token LEOFLOW_AGENT_TERMINATION_LOG= timeout 120 "$AGENT" >"$WORK/restart.out" 2>&1 &
  agent=$!
  for i in $(seq 1 100); do grep -q '^state RUNNING' "$WORK/restart-1.record" && break; sleep 0.1; done
  kill -TERM "$PLANE"; wait "$PLANE" 2>/dev/null
  start_plane restart-2 -listen "127.0.0.1:$PORT" -entrypoint "$RESTART_TASK" || fail "restart" "the second plane did not start"
  wait "$agent"; rc=$?
  kill "$PLANE" 2>/dev/null; wait "$PLANE" 2>/dev/null
  if [ "$rc" = 0 ]; then pass "restart: the task succeeded across the restart"; else
    fail "restart: the task succeeded across the restart" "agent exited $rc"; indent < "$WORK/restart.out" | tail -20; fi
  echo "    what the agent said meanwhile (warnings and errors):"
  grep -E "warn|error" "$WORK/restart.out" | cut -c1-220 | indent
  expect restart-1 "the first plane saw the task start, then stopped" '^state RUNNING 0 ""$' '^stopping$'
  # The log stream comes back on its own schedule (1, 2, 4 s...), so the push may come first: the
  # report of the end comes after the last line in any case.
  expect restart-2 "log stream re-opened, every line after the restart delivered, then the end reported" \
    '^wire StreamLogs$' '^log stdout 1 1$' '^log-count stdout 1000$' '^state SUCCESS 0 ""$'
  expect restart-2 "the return value pushed to the new plane" '^xcom return_value application/json \{"after": "restart"\}$'
  refuse restart-2 "no gap in the numbering" '^log-gap'
else
  fail "restart" "the first plane did not start"
fi

printf '\n%d passed, %d failed\n' "${#PASSED[@]}" "${#FAILED[@]}"
[ ${#FAILED[@]} -eq 0 ]
