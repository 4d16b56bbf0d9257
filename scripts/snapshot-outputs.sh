#!/usr/bin/env bash
# scripts/snapshot-outputs.sh — every output Sockeye writes for every fixture (and, when ../shared
# exists, every corpus capture), one file per (capture, command, format), so that a refactor can be
# shown byte-identical: run it before and after, then `diff -r BEFORE AFTER`.
#
# usage: scripts/snapshot-outputs.sh SOCKEYE_BINARY OUTDIR [--no-corpus]
#   Each file holds stdout, then a line "--- stderr", stderr, then "--- exit N".
#   TZ=UTC is set so that text output does not depend on the machine's zone.
set -uo pipefail
BIN="$1"; OUT="$2"; CORPUS=1
[ "${3:-}" = "--no-corpus" ] && CORPUS=0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$(cd "$ROOT/.." && pwd)/shared"
export TZ=UTC
mkdir -p "$OUT"

captures=()
while IFS= read -r f; do captures+=("$f"); done < <(cd "$ROOT" && find Fixtures -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
if [ "$CORPUS" = 1 ] && [ -d "$SHARED/corpus" ]; then
  while IFS= read -r f; do captures+=("$f"); done < <(cd "$SHARED" && find corpus -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
fi

run() { # name, args...
  local name="$1"; shift
  local file="$OUT/$name"
  mkdir -p "$(dirname "$file")"
  { "$BIN" "$@" 2>"$file.err"; echo "--- exit $?" >"$file.rc"; } >"$file" </dev/null
  { echo "--- stderr"; cat "$file.err"; cat "$file.rc"; } >>"$file"
  rm -f "$file.err" "$file.rc"
}

n=0
for c in "${captures[@]}"; do
  if [[ "$c" == corpus/* ]]; then path="$SHARED/$c"; else path="$ROOT/$c"; fi
  for fmt in text json zeek csv; do run "$c/analyze.$fmt" analyze "$path" --format "$fmt"; done
  run "$c/analyze.ladder" analyze "$path" --ladder
  for fmt in text json; do run "$c/packets.$fmt" packets "$path" --format "$fmt"; done
  n=$((n + 1))
done
echo "snapshot: $n captures into $OUT" >&2
