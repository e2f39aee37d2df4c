#!/bin/sh
# The DNS query log: 1M queries at 20,000/s with full logging, then 1M as fast as the
# caller can; rows/s stored, bytes per query, writer CPU, qlog_add's cost to the caller.
# Usage: tests/bench/qlog.sh [N] (default 1000000).
set -e
cd "$(dirname "$0")/../.."
make -s build/libwarren.a
cc -O2 -D_GNU_SOURCE -I. -o build/qlogbench tests/bench/qlogbench.c build/libwarren.a \
	$(pkg-config --cflags --libs libmnl libnftnl libsodium libconfig sqlite3 libqrencode zlib) \
	-pthread
N=${1:-1000000}
build/qlogbench "$N" 20000
build/qlogbench "$N" 0
