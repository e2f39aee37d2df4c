#!/bin/sh
# The server's enforcing table at 10,000 devices: converge, one device, one group, memory.
set -e
cd "$(dirname "$0")/../.."
make -s build/libwarren.a
cc -O2 -D_GNU_SOURCE -I. -o build/enforcebench tests/bench/enforcebench.c build/libwarren.a \
	$(pkg-config --cflags --libs libmnl libnftnl libsodium libconfig sqlite3 libqrencode zlib) \
	-pthread
build/enforcebench
