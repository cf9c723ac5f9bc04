#!/usr/bin/env bash
# Memory soak (`make soak`): steady load for SOAK_DURATION (default 10m) at
# SOAK_CONCURRENCY workers and SOAK_RATE requests/s, server RSS sampled every
# 10 s; fails when the peak RSS of the last third of the run exceeds the
# middle third's by more than 10 % and 20 MiB. Results go to the "## Soak"
# section of BENCHMARKS.md. See scripts/loadtest.sh.
exec "$(dirname "$0")/loadtest.sh" soak
