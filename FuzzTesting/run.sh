#!/usr/bin/env bash
# Build and run the Sockeye fuzz targets, one at a time, single process.
#
#   ./run.sh [SECONDS | -runs=N | replay] [TARGET…]
#
#   ./run.sh 10                    every target for 10 s (a smoke run)
#   ./run.sh 600 FuzzDecode        one target for 10 minutes
#   ./run.sh -runs=10000000 FuzzDecode
#   ./run.sh replay                run each binary once over Fixtures/fuzz/<target>/ (no fuzzing)
#
# Targets: FuzzDecode FuzzRoundTrip FuzzChecksum FuzzCaptureFile FuzzAnalyzer FuzzReports (default: all).
# Environment: NO_BUILD=1 skips the build; CORPUS_DIR=… (default /work/shared/corpus or
# ../../shared/corpus) adds captures to the seeds; EXTRA_ARGS=… is passed to libFuzzer;
# MAX_LEN=… overrides the target's -max_len (e.g. 512 for FuzzAnalyzer: 63 segments, ~3× faster).
#
# Everything is written under FuzzTesting/.build (ignored by git):
#   .build/seeds/<target>/    seeds made by make-seeds.py from Fixtures/*.pcap and the shared corpus
#   .build/corpus/<target>/   the growing working corpus
#   .build/crashes/<target>-* crash, timeout and OOM inputs (minimize them into Fixtures/fuzz/)
#   .build/logs/<target>.log  libFuzzer output
# Exit status: 0 when no target crashed.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
root=$(cd .. && pwd)

mode=${1:-10}
if [[ $# -gt 0 ]]; then shift; fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(FuzzDecode FuzzRoundTrip FuzzChecksum FuzzCaptureFile FuzzAnalyzer FuzzReports)
fi

# With the Swift Runtime backtracer on, a trap under ASan is misreported as an ASan
# "unknown-crash" in the backtracer itself; off, libFuzzer reports a clean "deadly signal".
export SWIFT_BACKTRACE=enable=no
# No allocation stack traces: unwinding on every malloc was a fifth of the analyzer target's
# time. Detection is unchanged; replay a crash file with ASAN_OPTIONS= for full stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS-malloc_context_size=0}

if [[ -z ${NO_BUILD:-} ]]; then
  # swiftc keeps only the *last* -sanitize= option: SwiftPM's `--sanitize fuzzer --sanitize
  # address` alone compiles with ASan but without libFuzzer coverage (no __sancov_cntrs), so the
  # fuzzer runs blind. -Xswiftc -sanitize=fuzzer,address restores both.
  mkdir -p .build/logs
  if ! swift build -c release --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address \
      > .build/logs/build.log 2>&1; then
    grep -v "__asan_extra_spill_area" .build/logs/build.log >&2; echo "build failed" >&2; exit 1
  fi
fi
bin=$(swift build -c release --sanitize fuzzer --sanitize address --show-bin-path)

# Seeds (regenerated when missing; delete .build/seeds to refresh).
corpus_src=${CORPUS_DIR:-}
if [[ -z $corpus_src ]]; then
  for c in "$root/../shared/corpus"; do [[ -d $c ]] && { corpus_src=$c; break; }; done
fi
if [[ ! -d .build/seeds ]]; then
  python3 make-seeds.py .build/seeds "$root/Fixtures" ${corpus_src:+"$corpus_src"} >/dev/null
fi
cat packet.dict pcap.dict > .build/capturefile.dict
mkdir -p .build/crashes .build/logs

status=0
printf '%-16s %12s %9s %7s %7s %s\n' target execs exec/s cov ft result
for t in "${targets[@]}"; do
  corpus=
  case $t in
    FuzzDecode)      dir=decode;      max_len=4098;  dict=packet.dict ;;
    FuzzRoundTrip)   dir=roundtrip;   max_len=4097;  dict=packet.dict ;;
    FuzzChecksum)    dir=checksum;    max_len=1024;  dict= ;;
    FuzzCaptureFile) dir=capturefile; max_len=16384; dict=.build/capturefile.dict ;;
    FuzzAnalyzer)    dir=analyzer;    max_len=2048;  dict= ;;
    # Capture files like FuzzCaptureFile (same seeds and regressions), its own working corpus.
    FuzzReports)     dir=capturefile; max_len=16384; dict=.build/capturefile.dict; corpus=reports ;;
    *) echo "unknown target $t" >&2; exit 64 ;;
  esac
  exe=$bin/$t
  regressions=$root/Fixtures/fuzz/$dir
  if [[ $mode == replay ]]; then
    # known-<issue>… files reproduce reported, unfixed bugs: replayed with that issue ignored.
    files=() known=()
    for x in "$regressions"/*; do
      [[ -e $x ]] || continue
      case ${x##*/} in known-*) known+=("$x") ;; *) files+=("$x") ;; esac
    done
    # (named known-<issue>--<what-it-shows>; <issue> is the name used by check(known:)).
    issues=$(for k in "${known[@]}"; do n=${k##*/known-}; echo "${n%%--*}"; done | sort -u | paste -sd, -)
    if SOCKEYE_FUZZ_KNOWN_ISSUES=${issues:-} "$exe" "${files[@]}" "${known[@]}" > ".build/logs/$t-replay.log" 2>&1; then
      printf '%-16s %s\n' "$t" "replayed ${#files[@]} files + ${#known[@]} known-issue files: ok"
    else
      printf '%-16s %s\n' "$t" "FAILED (see .build/logs/$t-replay.log)"; status=1
    fi
    continue
  fi
  if [[ $mode == -runs=* ]]; then limit=$mode; else limit=-max_total_time=$mode; fi
  corpus=${corpus:-$dir}
  max_len=${MAX_LEN:-$max_len}
  mkdir -p ".build/corpus/$corpus" ".build/seeds/$dir"
  log=.build/logs/$t.log
  set +e
  # Single process (the same as -jobs=1 -workers=1 without the fork server's log files).
  "$exe" "$limit" -max_len=$max_len ${dict:+-dict=$dict} -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=".build/crashes/$t-" ${EXTRA_ARGS:-} \
    ".build/corpus/$corpus" ".build/seeds/$dir" "$regressions" > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
  rate=$(grep -a 'stat::average_exec_per_sec' "$log" | awk '{print $2}' | tail -1)
  cov=$(grep -aoE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  ft=$(grep -aoE 'ft: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  if [[ $rc -eq 0 ]]; then result=ok; else
    result="CRASH rc=$rc: $(grep -aoE 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //')"
    status=1
  fi
  printf '%-16s %12s %9s %7s %7s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $status
