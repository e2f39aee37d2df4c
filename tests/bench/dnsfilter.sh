#!/bin/sh
# The resolver's domain filter with a generated 1,000,000-domain list: load time, memory,
# time of one decision.
set -e
cd "$(dirname "$0")/../.."
make -s build/libwarren.a
cc -O2 -D_GNU_SOURCE -I. -o build/dnsfilterbench tests/bench/dnsfilter.c build/libwarren.a \
	$(pkg-config --cflags --libs libmnl libnftnl libsodium libconfig sqlite3 libqrencode zlib) \
	-pthread
build/dnsfilterbench
