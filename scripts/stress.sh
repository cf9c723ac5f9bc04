#!/usr/bin/env bash
# The long parcel stress run (`make stress`): STRESS_DURATION (default 60s)
# of 20 clients sending heavy parcels and 2 sending tiny ones against a
# server with a 1 GiB memory budget and a 30 s request timeout; the numbers
# and verdicts go into the "Stress" section of BENCHMARKS.md. See
# scripts/loadtest.sh for the settings (STRESS_HEAVY, STRESS_TINY,
# STRESS_BUDGET, STRESS_DEADLINE, BENCHMARKS).
exec "$(dirname "$0")/loadtest.sh" stress
