#!/usr/bin/env bash
# tests/kernel/run.sh: the kernel tier: every tests/netns scenario plus tests/kernel/t_*.sh, all in one VM on wireguard.ko.
#
# Each line a scenario prints comes back as "ok - [kernel] ..." / "not ok - [kernel] ...";
# missing QEMU, kernel or tools give one "not ok - kernel tier: <reason>" (CI installs them
# with make deps). Pass scripts as arguments to run only those.
set -u
cd "$(dirname "$0")/../.." || exit 1
if [ $# -gt 0 ]; then
	exec tests/kernel/vm.sh "$@"
fi
scripts=()
for s in tests/netns/t_*.sh tests/kernel/t_*.sh; do [ -f "$s" ] && scripts+=("$s"); done
[ ${#scripts[@]} -gt 0 ] || { echo "not ok - kernel tier: no scenarios found"; exit 1; }
exec tests/kernel/vm.sh "${scripts[@]}"
