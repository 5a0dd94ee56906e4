#!/usr/bin/env bash
# Soak mode: every property suite (a tests/<name>.cpp with RC_BOOST_PROP, built as
# build/tests/<name>) run with many more RapidCheck cases and larger sizes than CI's default
# (100 cases, size 0…100):
#
#   tests/soak.sh [BUILD_DIR]            default BUILD_DIR: build
#
# Environment: SOAK_SUCCESS (default 10000) and SOAK_SIZE (default 200) go into
# RC_PARAMS="max_success=… max_size=…"; SOAK_SUITES (default: every property suite) lists the
# suites to run; SOAK_TIMEOUT (seconds per suite, default 0 = none) stops a suite that takes
# longer and reports it as "timed out". Each suite runs at the contract level its CTest test
# uses by default (expensive). Prints one line per suite (result, seconds) and a total; exits 1
# if any suite failed, 2 if none failed but one timed out, 0 if every suite passed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
success=${SOAK_SUCCESS:-10000}
size=${SOAK_SIZE:-200}
timeout_s=${SOAK_TIMEOUT:-0}
suites=${SOAK_SUITES:-$(grep -l RC_BOOST_PROP tests/*_test.cpp | xargs -n1 basename | sed 's/\.cpp$//' | tr '\n' ' ')}
export RC_PARAMS="max_success=$success max_size=$size"
export MATBP_SOURCE_DIR=$PWD
echo "soak: RC_PARAMS=\"$RC_PARAMS\"${SOAK_TIMEOUT:+, at most $timeout_s s per suite}; suites: $suites"
failed=0 timed_out=0 start_all=$(date +%s)
for s in $suites; do
  exe=$build/tests/$s
  if [[ ! -x $exe ]]; then
    echo "soak: $s: FAILED (no executable $exe: build it first)"
    failed=$((failed + 1))
    continue
  fi
  start=$(date +%s)
  log=$(mktemp)
  if ((timeout_s > 0)); then
    timeout "$timeout_s" "$exe" --color_output=no >"$log" 2>&1
  else
    "$exe" --color_output=no >"$log" 2>&1
  fi
  rc=$?
  secs=$(($(date +%s) - start))
  if ((rc == 0)); then
    echo "soak: $s: passed in $secs s"
  elif ((rc == 124)); then
    echo "soak: $s: timed out after $secs s (not a result)"
    timed_out=$((timed_out + 1))
  else
    echo "soak: $s: FAILED (exit $rc) in $secs s; the log's end:"
    tail -30 "$log"
    failed=$((failed + 1))
  fi
  rm -f "$log"
done
echo "soak: $(($(date +%s) - start_all)) s in all; $failed failed, $timed_out timed out"
((failed)) && exit 1
((timed_out)) && exit 2
exit 0
