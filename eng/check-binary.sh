#!/usr/bin/env bash
# Checks what a published leoflow-agent asks of the machine it runs on:
#   - NEEDED lists glibc's own libraries only (OpenSSL and zlib are linked in statically), so the
#     binary runs in images without libssl or libz;
#   - no symbol needs a GLIBC_ version above MAX (default 2.28: RHEL/UBI 8, Debian 10).
# Prints both facts and exits 1 when either is violated.
#   eng/check-binary.sh BINARY [MAX_GLIBC]
set -euo pipefail
bin=$1
max=${2:-2.28}
[ -f "$bin" ] || { echo "check-binary: $bin does not exist" >&2; exit 1; }

allowed='^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|librt\.so\.1|libpthread\.so\.0|ld-linux-x86-64\.so\.2|ld-linux-aarch64\.so\.1)$'
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
glibc=$(readelf -W --dyn-syms "$bin" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1)
echo "$bin: NEEDED $(echo $needed | tr ' ' ',')"
echo "$bin: highest symbol version $glibc (allowed: GLIBC_$max)"

rc=0
for lib in $needed; do
  if ! [[ $lib =~ $allowed ]]; then
    echo "check-binary: $bin needs $lib, which is not part of glibc" >&2
    rc=1
  fi
done
if [ "$(printf '%s\n%s\n' "$glibc" "GLIBC_$max" | sort -V | tail -1)" != "GLIBC_$max" ]; then
  echo "check-binary: $bin needs $glibc, newer than GLIBC_$max:" >&2
  readelf -W --dyn-syms "$bin" | grep -F "@$glibc" >&2 || true
  rc=1
fi
exit $rc
