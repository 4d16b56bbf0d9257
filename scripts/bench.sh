#!/usr/bin/env bash
# scripts/bench.sh — `make bench`: time sockeye against the libpcap floor and the usual peers on
# one synthetic capture, in ONE run, print ONE markdown table, and check sockeye's flow summary
# against the workload's ground truth.
#
# usage: scripts/bench.sh [--small | --medium | --large] [--own] [--file PCAP] [--runs N]
#                         [--warmup N] [--no-build] [--no-check]
#   --medium     1M packets / 20k flows (default);  --small 100k / 2k;  --large 5M / 200k
#                (--large skips tcpdump and tshark unless SKIP is set, and shows peak RSS)
#   --own        generate with Sockeye's own generator (Benchmarks/ sockeye-workload) even when
#                ../shared/bench/gen_workload.py exists (the default there, as a cross-check)
#   --file PCAP  use an existing capture (ground truth from PCAP.json when present)
#   --runs N / --warmup N   hyperfine runs (default 3) and warmups (default 1)
# environment:
#   SKIP=tshark,tcpdump   rows to leave out (limit, limit-x, analyze, packets, tcpdump, tshark)
#   BENCH_DIR=/tmp/sockeye-bench   workloads, limit binary, results (JSON, RSS, table.md)
#   SWIFT=swift  SCRATCH=.build    the release build used (SCRATCH=.build-bench for a private one)
#   TMAX=150     a tool whose probe run took longer is not re-run by hyperfine (probe reported)
#
# Every row first gets one /usr/bin/time probe (peak RSS; warms the page cache), then
# `hyperfine --warmup 1 --runs 3` (or /usr/bin/time runs when hyperfine is missing). Ratios are
# to `limit -x` of the same run. Timing targets are reported, never asserted; the exit status is
# non-zero only when a build fails or the flow summary disagrees with the ground truth.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$(cd "$ROOT/.." && pwd)/shared/bench"
SWIFT="${SWIFT:-swift}"
SCRATCH="${SCRATCH:-.build}"
BENCH_DIR="${BENCH_DIR:-/tmp/sockeye-bench}"
TMAX="${TMAX:-150}"
SIZE=medium; OWN=0; FILE=""; RUNS=3; WARM=1; BUILD=1; CHECK=1
SKIP_SET=${SKIP+set}
SKIP=",${SKIP:-},"

while [ $# -gt 0 ]; do
  case "$1" in
    --small|--medium|--large) SIZE="${1#--}"; shift;;
    --own) OWN=1; shift;;
    --file) FILE="$2"; shift 2;;
    --runs) RUNS="$2"; shift 2;;
    --warmup) WARM="$2"; shift 2;;
    --no-build) BUILD=0; shift;;
    --no-check) CHECK=0; shift;;
    -h|--help) sed -n '2,23p' "$0"; exit 0;;
    *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 64;;
  esac
done
case "$SIZE" in
  small)  PACKETS=100000;  FLOWS=2000;;
  medium) PACKETS=1000000; FLOWS=20000;;
  large)  PACKETS=5000000; FLOWS=200000
          [ -n "$SKIP_SET" ] || SKIP=",tcpdump,tshark,";;
esac

say() { printf '%s\n' "$*" >&2; }
skipped() { [[ "$SKIP" == *",$1,"* ]]; }
mkdir -p "$BENCH_DIR"

# --- tools this script needs (Debian/Ubuntu; installed only when missing and we may) ---------
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
need=()
[ -x /usr/bin/time ] || need+=(time)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v editcap >/dev/null 2>&1 || need+=(tshark)
command -v tcptrace >/dev/null 2>&1 || need+=(tcptrace)
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
pkg-config --exists libpcap 2>/dev/null || need+=(libpcap-dev)
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing: ${need[*]}"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"; } >/dev/null 2>&1 \
    || say "note: could not install ${need[*]}; continuing without"
fi
[ -x /usr/bin/time ] || { say "bench.sh: /usr/bin/time is required (apt-get install time)"; exit 69; }

# --- sockeye, release build ----------------------------------------------------------------
SOCKEYE="$ROOT/$SCRATCH/release/sockeye"
if [ "$BUILD" = 1 ]; then
  say "building sockeye (release, $SCRATCH)…"
  (cd "$ROOT" && nice "$SWIFT" build -c release --scratch-path "$SCRATCH" --product sockeye >&2)
fi
[ -x "$SOCKEYE" ] || { say "bench.sh: $SOCKEYE missing (build failed?)"; exit 70; }

# --- workload ------------------------------------------------------------------------------
if [ -n "$FILE" ]; then
  PCAP="$(readlink -f "$FILE")"
  [ -r "$PCAP" ] || { say "bench.sh: cannot read $PCAP"; exit 66; }
elif [ "$OWN" = 0 ] && [ -f "$SHARED/gen_workload.py" ] && command -v python3 >/dev/null 2>&1; then
  PCAP="$BENCH_DIR/$SIZE.pcap"
  if [ ! -s "$PCAP" ] || [ ! -s "$PCAP.json" ]; then
    say "generating $PCAP with gen_workload.py ($PACKETS packets, $FLOWS flows, seed 1)…"
    nice python3 "$SHARED/gen_workload.py" --packets "$PACKETS" --flows "$FLOWS" --seed 1 \
      --out "$PCAP.partial" --summary "$PCAP.json.partial" >&2
    mv "$PCAP.json.partial" "$PCAP.json" && mv "$PCAP.partial" "$PCAP"
  fi
else
  PCAP="$BENCH_DIR/$SIZE-sockeye.pcap"
  if [ ! -s "$PCAP" ] || [ ! -s "$PCAP.json" ]; then
    say "building sockeye-workload…"
    (cd "$ROOT/Benchmarks" && nice "$SWIFT" build -c release --product sockeye-workload >&2)
    say "generating $PCAP with sockeye-workload ($PACKETS packets, $FLOWS flows, seed 1)…"
    nice "$ROOT/Benchmarks/.build/release/sockeye-workload" --packets "$PACKETS" --flows "$FLOWS" --seed 1 \
      --out "$PCAP.partial" --summary "$PCAP.json.partial" >&2
    mv "$PCAP.json.partial" "$PCAP.json" && mv "$PCAP.partial" "$PCAP"
  fi
fi
TRUTH="$PCAP.json"; [ -s "$TRUTH" ] || TRUTH=""
OUT="$BENCH_DIR/results/$(basename "$PCAP" .pcap)"
rm -rf "$OUT"; mkdir -p "$OUT"

# --- the libpcap floor (../shared/bench/limit.c) -------------------------------------------------
LIMIT=""
if [ -f "$SHARED/limit.c" ]; then
  if [ -x "$BENCH_DIR/limit" ] && [ "$BENCH_DIR/limit" -nt "$SHARED/limit.c" ]; then
    LIMIT="$BENCH_DIR/limit"
  elif gcc -O2 -o "$BENCH_DIR/limit" "$SHARED/limit.c" -lpcap 2>"$OUT/limit.build.log"; then
    LIMIT="$BENCH_DIR/limit"
  else
    say "note: limit.c did not build (gcc + libpcap-dev), see $OUT/limit.build.log"
  fi
else
  say "note: $SHARED/limit.c not found: no limit rows, no ratios"
fi

# packet count for packets/s: the ground truth, else count records.
if [ -n "$TRUTH" ]; then
  PKTS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packets"])' "$TRUTH")
else
  PKTS=$(python3 - "$PCAP" <<'EOF'
import struct, sys
f = open(sys.argv[1], 'rb'); h = f.read(24)
e = '<' if h[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
n = 0
while True:
    r = f.read(16)
    if len(r) < 16: break
    f.seek(struct.unpack(e + 'IIII', r)[2], 1); n += 1
print(n)
EOF
)
fi

# --- rows: key | label | command | needs --------------------------------------------------------
ROWS=()
SEP=$'\x1f'   # fields of a row: commands contain '|'
row() { ROWS+=("$1$SEP$2$SEP$3$SEP$4"); }
if [ -n "$LIMIT" ]; then
  row limit    "limit"                              "$LIMIT $PCAP > /dev/null"    true
  row limit-x  "limit -x"                           "$LIMIT -x $PCAP > /dev/null" true
fi
row analyze "sockeye analyze --format json"         "$SOCKEYE analyze --format json $PCAP > /dev/null" true
# The other ways in (issue "Every capture a user has"): the same capture as pcapng, with a BPF
# filter, from a pipe, compressed. Each is timed against the same limit -x row.
PCAPNG="$BENCH_DIR/$(basename "$PCAP" .pcap).pcapng"
if command -v editcap >/dev/null 2>&1 && { [ ! -s "$PCAPNG" ] || [ "$PCAP" -nt "$PCAPNG" ]; }; then
  say "writing $PCAPNG (editcap -F pcapng)…"; nice editcap -F pcapng "$PCAP" "$PCAPNG.partial" && mv "$PCAPNG.partial" "$PCAPNG"
fi
ZST="$PCAP.zst"; GZ="$PCAP.gz"
if command -v zstd >/dev/null 2>&1 && { [ ! -s "$ZST" ] || [ "$PCAP" -nt "$ZST" ]; }; then
  say "writing $ZST…"; nice zstd -q -3 -T2 -f "$PCAP" -o "$ZST.partial" && mv "$ZST.partial" "$ZST"
fi
if { [ ! -s "$GZ" ] || [ "$PCAP" -nt "$GZ" ]; }; then
  say "writing $GZ…"; nice gzip -1 -c "$PCAP" > "$GZ.partial" && mv "$GZ.partial" "$GZ"
fi
# Whether sockeye reads a compressed file directly (tried on a small one).
TINY="$ROOT/Fixtures/tcp-handshake-data-fin.pcap"
reads() { "$SOCKEYE" analyze -q --format json "$1" > /dev/null 2>&1; }
command -v zstd >/dev/null 2>&1 && zstd -q -c "$TINY" > "$BENCH_DIR/tiny.pcap.zst"
gzip -c "$TINY" > "$BENCH_DIR/tiny.pcap.gz"
row analyze-pcapng "… the same capture as pcapng"    "$SOCKEYE analyze --format json $PCAPNG > /dev/null" "[ -s $PCAPNG ]"
row analyze-filter "… with -f tcp"                   "$SOCKEYE analyze --format json -f tcp $PCAP > /dev/null" true
row analyze-stdin  "… from a pipe (cat f, -)"        "cat $PCAP | $SOCKEYE analyze --format json - > /dev/null" true
row zstd-alone     "zstd -dc f.zst (alone)"          "zstd -dc $ZST > /dev/null" "command -v zstd && [ -s $ZST ]"
row analyze-zst    "… f.zst"                         "$SOCKEYE analyze --format json $ZST > /dev/null" "[ -s $ZST ] && reads $BENCH_DIR/tiny.pcap.zst"
row analyze-zpipe  "… zstd -dc f.zst, piped"         "zstd -dc $ZST | $SOCKEYE analyze --format json - > /dev/null" "command -v zstd && [ -s $ZST ]"
row gzip-alone     "gzip -dc f.gz (alone)"           "gzip -dc $GZ > /dev/null" "[ -s $GZ ]"
row analyze-gz     "… f.gz"                          "$SOCKEYE analyze --format json $GZ > /dev/null" "[ -s $GZ ] && reads $BENCH_DIR/tiny.pcap.gz"
# The other core busy with a CPU-bound process (the two-thread design must not fall to
# single-thread speed): limit -x and analyze under the same load.
BUSY='{ while :; do :; done & } ; H=$!;'
UNBUSY='; R=$?; kill $H; exit $R'
if [ -n "$LIMIT" ]; then
  row limit-x-busy "limit -x, other core busy"        "bash -c '$BUSY $LIMIT -x $PCAP > /dev/null $UNBUSY'" true
fi
row analyze-busy "sockeye analyze, other core busy"  "bash -c '$BUSY $SOCKEYE analyze --format json $PCAP > /dev/null $UNBUSY'" true
row packets "sockeye packets --format json"         "$SOCKEYE packets --format json $PCAP > /dev/null" true
row tcpdump "tcpdump -nn -r"                        "tcpdump -nn -r $PCAP > /dev/null 2>&1"          "command -v tcpdump"
row tshark  "tshark -n -q -z conv,tcp"              "tshark -n -q -z conv,tcp -r $PCAP > /dev/null 2>&1" "command -v tshark"
row tcptrace "tcptrace -n (per-connection RTT)"     "tcptrace -n $PCAP > /dev/null 2>&1"             "command -v tcptrace"

HAVE_HF=0; command -v hyperfine >/dev/null 2>&1 && HAVE_HF=1
loadavg() { cut -d' ' -f1 /proc/loadavg; }
NOTES=()
for r in "${ROWS[@]}"; do
  IFS="$SEP" read -r key label cmd needs <<<"$r"
  if skipped "$key"; then NOTES+=("$label: skipped (SKIP)"); continue; fi
  if ! eval "$needs" >/dev/null 2>&1; then NOTES+=("$label: not installed, skipped"); continue; fi
  say "timing $label…"
  # Probe: peak RSS (and the page cache warmed).
  /usr/bin/time -f '%e %U %S %M' -o "$OUT/$key.probe" bash -c "$cmd" || { NOTES+=("$label: exited non-zero"); }
  read -r pwall puser psys prss < <(tail -n 1 "$OUT/$key.probe")
  if awk -v w="$pwall" -v t="$TMAX" 'BEGIN { exit !(w > t) }'; then
    printf '{"results":[{"median":%s,"user":%s,"system":%s,"times":[%s]}]}\n' "$pwall" "$puser" "$psys" "$pwall" > "$OUT/$key.json"
    NOTES+=("$label: probe took ${pwall} s > TMAX=${TMAX} s, reported from that single run")
  elif [ "$HAVE_HF" = 1 ]; then
    hyperfine --warmup "$WARM" --runs "$RUNS" --export-json "$OUT/$key.json" --style none "$cmd" >/dev/null 2>&1 \
      || { NOTES+=("$label: hyperfine failed"); continue; }
  else
    for _ in $(seq "$WARM"); do bash -c "$cmd" >/dev/null 2>&1 || true; done
    : > "$OUT/$key.runs"
    for _ in $(seq "$RUNS"); do /usr/bin/time -f '%e %U %S' -a -o "$OUT/$key.runs" bash -c "$cmd" >/dev/null 2>&1 || true; done
    python3 - "$OUT/$key.runs" > "$OUT/$key.json" <<'EOF'
import json, statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l[:1].isdigit()]
print(json.dumps({"results": [{"median": statistics.median(r[0] for r in rows),
                               "user": statistics.mean(r[1] for r in rows),
                               "system": statistics.mean(r[2] for r in rows),
                               "times": [r[0] for r in rows]}]}))
EOF
  fi
  echo "$key|$label|$prss" >> "$OUT/rows"
done

# --- the table ---------------------------------------------------------------------------------
MACHINE="$(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), load $(loadavg)"
python3 - "$OUT" "$PKTS" "$PCAP" "$SIZE" "$MACHINE" "$(printf '%s\n' "${NOTES[@]+"${NOTES[@]}"}")" <<'EOF' | tee "$OUT/table.md"
import json, os, sys
out, pkts, pcap, size, machine, notes = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
rows = []
for line in open(os.path.join(out, 'rows')) if os.path.exists(os.path.join(out, 'rows')) else []:
    key, label, rss = line.rstrip('\n').split('|')
    r = json.load(open(os.path.join(out, key + '.json')))['results'][0]
    rows.append(dict(key=key, label=label, median=r['median'], cpu=r['user'] + r['system'],
                     runs=len(r.get('times') or []), rss=int(rss) / 1024))
base = next((r['median'] for r in rows if r['key'] == 'limit-x'), None)
size_b = os.path.getsize(pcap)
print(f"### {os.path.basename(pcap)} — {pkts:,} packets, {size_b / 1e6:,.0f} MB ({size})\n")
print(f"Machine: {machine}.\n")
print("| tool | median wall s | packets/s | × limit -x | CPU s | peak RSS MB | runs |")
print("|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    ratio = f"{r['median'] / base:.2f}" if base else "–"
    print(f"| {r['label']} | {r['median']:.3f} | {pkts / r['median'] / 1e6:.2f}M | {ratio} | {r['cpu']:.2f} | {r['rss']:.0f} | {r['runs']} |")
by = {r['key']: r for r in rows}
print()
targets = []
if 'analyze' in by:
    a = by['analyze']['median']
    if base: targets.append(("sockeye analyze ≤ 1.0× limit -x", a / base <= 1.0, f"{a / base:.2f}×"))
    goals = [('analyze-pcapng', 0.9, 'pcapng'), ('analyze-filter', 0.95, '-f tcp'), ('analyze-stdin', 1.0, 'standard input')]
    for key, goal, name in goals:
        if base and key in by: targets.append((f"{name} ≤ {goal}× limit -x", by[key]['median'] / base <= goal, f"{by[key]['median'] / base:.2f}×"))
    for key, alone, name in [('analyze-zst', 'zstd-alone', '.zst'), ('analyze-gz', 'gzip-alone', '.gz')]:
        if key in by and alone in by:
            q = by[key]['median'] / by[alone]['median']
            targets.append((f"{name} ≤ 1.1× the decompressor alone", q <= 1.1, f"{q:.2f}×"))
    if 'analyze-busy' in by and 'limit-x-busy' in by:
        q = by['analyze-busy']['median'] / by['limit-x-busy']['median']
        targets.append(("other core busy: analyze ≤ 1.0× limit -x under the same load", q <= 1.0, f"{q:.2f}×"))
    if 'tcpdump' in by: targets.append(("≥ 12× faster than tcpdump -nn", by['tcpdump']['median'] / a >= 12, f"{by['tcpdump']['median'] / a:.1f}×"))
    if 'tshark' in by: targets.append(("≥ 30× faster than tshark conv,tcp", by['tshark']['median'] / a >= 30, f"{by['tshark']['median'] / a:.1f}×"))
    if size == 'large': targets.append(("peak RSS ≤ 64 MB (large)", by['analyze']['rss'] <= 64, f"{by['analyze']['rss']:.0f} MB"))
for name, ok, value in targets:
    print(f"- {'met' if ok else 'MISSED'}: {name} — {value}")
for n in filter(None, notes.split('\n')):
    print(f"- note: {n}")
EOF

# --- flow summary vs ground truth -----------------------------------------------------------------
[ "$CHECK" = 1 ] || exit 0
if [ -z "$TRUTH" ]; then say "no ground truth ($PCAP.json): comparison skipped"; exit 0; fi
say "comparing sockeye's flow summary with $TRUTH…"
"$SOCKEYE" analyze --format json "$PCAP" > "$OUT/analyze.jsonl"
"$SOCKEYE" analyze "$PCAP" > "$OUT/analyze.txt"
python3 - "$TRUTH" "$OUT/analyze.jsonl" "$OUT/analyze.txt" <<'EOF' | tee "$OUT/groundtruth.md"
import collections, json, re, sys
truth = json.load(open(sys.argv[1]))
states = collections.Counter(); protos = collections.Counter(); bad = collections.Counter()
for line in open(sys.argv[2]):
    r = json.loads(line)
    protos[r['proto']] += 1
    if r['proto'] == 'tcp': states[r['conn_state']] += 1
    for side in ('orig', 'resp'):
        bad[r['proto']] += r['anomalies'][side]['bad_checksums']
# The text summary counts every bad-checksum packet, IPv4 header ones included (those never
# reach a flow: Zeek drops them before the connection lookup).
m = re.search(r'bad checksums ([\d,]+)', open(sys.argv[3]).read().split('\n\n')[0])
bad_total = int(m.group(1).replace(',', '')) if m else None
o = truth['tcp_flows_by_outcome']
checks = [
    ("flows", truth['flows'], sum(protos.values())),
    ("TCP flows", truth['tcp_flows'], protos['tcp']),
    ("UDP flows", truth['udp_flows'], protos['udp']),
    ("complete → SF", o['complete'], states['SF']),
    ("half_closed → S2 + S3", o['half_closed'], states['S2'] + states['S3']),
    ("aborted → RSTO + RSTR", o['aborted'], states['RSTO'] + states['RSTR']),
    ("refused → REJ", o['refused'], states['REJ']),
    ("syn_only → S0", o['syn_only'], states['S0']),
]
for s, n in truth.get('expected_conn_state', {}).items():
    checks.append((f"conn_state {s} (sockeye-workload)", n, states[s]))
b = truth['bad_checksums']
checks += [
    ("bad TCP checksums (flow anomalies)", b['tcp'], bad['tcp']),
    ("bad UDP checksums (flow anomalies)", b['udp'], bad['udp']),
    ("bad checksum packets (summary)", b['total_packets'], bad_total),
]
other = {k: v for k, v in states.items() if k not in ('SF', 'S2', 'S3', 'RSTO', 'RSTR', 'REJ', 'S0')}
print("\n### flow summary vs ground truth\n")
print("| check | truth | sockeye | |")
print("|---|---:|---:|---|")
bad_rows = 0
for name, want, got in checks:
    ok = want == got
    bad_rows += not ok
    print(f"| {name} | {want} | {got} | {'ok' if ok else 'MISMATCH'} |")
if other:
    print(f"\nunexpected TCP conn_states: {dict(sorted(other.items()))}")
    bad_rows += 1
print(f"\n{'all match' if not bad_rows else f'{bad_rows} mismatch(es)'}")
sys.exit(1 if bad_rows else 0)
EOF
