#!/usr/bin/env bash
# tests/kernel/vm.sh: builds the test initramfs and boots Debian's kernel under QEMU to run scenario scripts against wireguard.ko.
#
#   tests/kernel/vm.sh SCRIPT...     run each script in one VM with WARREN_BACKEND=kernel
#   tests/kernel/vm.sh -i            interactive shell in the VM (exit it to power off)
#
# Output: the guest's lines, with "ok - X" / "not ok - X" rewritten to "ok - [kernel] X";
# a script that exits non-zero without a "not ok" line, or the VM dying, adds one "not ok".
# Exit status 0 only if every script passed.
#
# Environment: KERNEL_VERSION (default: newest /boot/vmlinuz-* whose modules have
# wireguard.ko), KERNEL_IMAGE, KERNEL_TIMEOUT (whole VM, s; 900), KERNEL_SCRIPT_TIMEOUT
# (per script, s; 180), KERNEL_BOOT_TIMEOUT (s a KVM guest may take to reach /init
# before falling back to tcg; 20), QEMU_ACCEL (auto|kvm|tcg), B.
#
# The base image (busybox, real tools with their libraries, modules) is cached in
# $B/kernel and rebuilt when its recipe below, the kernel or a tool changes; /init,
# tests/, build/warren and build/tests/unit/* go into a second archive built every run.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
B=${B:-build}
case $B in /*) BDIR=$B ;; *) BDIR=$ROOT/$B ;; esac
KDIR=$BDIR/kernel
KERNEL_TIMEOUT=${KERNEL_TIMEOUT:-900}
KERNEL_SCRIPT_TIMEOUT=${KERNEL_SCRIPT_TIMEOUT:-180}
KERNEL_BOOT_TIMEOUT=${KERNEL_BOOT_TIMEOUT:-20}

die() { echo "not ok - kernel tier: $*"; exit 1; }

# Tools the scenarios may call. The first line must exist; the rest are copied when the
# host has them. Real tools win over busybox applets, which only fill the gaps.
REQUIRED_TOOLS="bash ip nft wg ping timeout sha256sum sort modprobe"
OPTIONAL_TOOLS="ss bridge tc tracepath grep sed awk find xargs diff cmp gzip
	mount umount flock setsid unshare nsenter getopt ps pgrep pkill pidof sysctl kill
	insmod rmmod lsmod modinfo depmod wg-quick wireguard-go nc socat tcpdump jq curl
	xxd hexdump openssl sqlite3 strace conntrack dig file less resolvconf getent iperf3
	nsd ldns-keygen ldns-signzone dnsperf dnsmasq"
# Modules loaded on demand (modprobe resolves their dependencies).
MODULES="wireguard veth dummy bridge macvlan ipvlan vrf tun ifb sch_netem sch_tbf sch_htb
	sch_fq_codel
	nf_tables nfnetlink nf_conntrack nf_conntrack_netlink nf_nat nft_chain_nat nft_masq
	nft_nat nft_redir nft_ct nft_fib_inet nft_fib_ipv4 nft_fib_ipv6 nft_reject_inet
	nft_limit nft_quota nft_hash nft_numgen nft_log nft_socket nft_tproxy nft_connlimit
	nft_objref nft_queue nft_compat nft_dup_netdev nft_fwd_netdev nft_fib_netdev
	nf_flow_table_inet nft_flow_offload nfnetlink_log nfnetlink_queue nf_log_syslog"

# ---------------------------------------------------------------- kernel and tools

pick_kernel() {
	local f v
	if [ -n "${KERNEL_VERSION:-}" ]; then KVER=$KERNEL_VERSION
	else
		KVER=
		for f in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -rV); do
			v=${f#/boot/vmlinuz-}
			if compgen -G "/lib/modules/$v/kernel/drivers/net/wireguard/wireguard.ko*" >/dev/null; then
				KVER=$v; break
			fi
		done
		[ -n "$KVER" ] || die "no /boot/vmlinuz-* with wireguard.ko in /lib/modules (make deps installs linux-image-amd64)"
	fi
	KIMG=${KERNEL_IMAGE:-/boot/vmlinuz-$KVER}
	[ -r "$KIMG" ] || die "kernel image $KIMG not readable"
	[ -d "/lib/modules/$KVER" ] || die "no /lib/modules/$KVER"
}

check_host() {
	local c
	for c in qemu-system-x86_64 cpio depmod ldd gzip; do
		command -v $c >/dev/null || die "$c not installed (make deps)"
	done
	BUSYBOX=$(command -v busybox) || die "busybox not installed (make deps: busybox-static)"
	ldd "$BUSYBOX" >/dev/null 2>&1 && die "$BUSYBOX is not static (install busybox-static)"
	for c in $REQUIRED_TOOLS; do command -v $c >/dev/null || die "$c not installed (make deps)"; done
}

# ---------------------------------------------------------------- image building

# install_file SRC DEST: copy SRC's content to DEST inside $STAGE. Directories are
# resolved so /lib/x -> usr/lib/x, matching the merged-/usr layout of the image.
install_file() {
	local dir; dir=$(realpath -m "$(dirname "$2")")
	mkdir -p "$STAGE$dir"
	[ -e "$STAGE$dir/$(basename "$2")" ] || cp -L "$1" "$STAGE$dir/$(basename "$2")"
}

# install_bin PATH [NAME]: the program (named NAME, so multi-call binaries such as kmod
# still see the right argv[0]) plus every library ldd names, loader included.
install_bin() {
	local p=$1 name=${2:-$(basename "$1")} lib
	install_file "$p" "$(dirname "$p")/$name"
	for lib in $(ldd "$p" 2>/dev/null | awk '/=> \//{ print $3 } /^\t\//{ print $1 }'); do
		install_file "$lib" "$lib"
	done
}

base_inputs() {
	local c p
	echo "kernel $KVER $(stat -c '%s %Y' "/lib/modules/$KVER/modules.dep")"
	declare -f install_file install_bin build_base
	echo "$REQUIRED_TOOLS $OPTIONAL_TOOLS $MODULES"
	for c in $REQUIRED_TOOLS $OPTIONAL_TOOLS busybox; do
		p=$(command -v "$c" 2>/dev/null) || continue
		case $p in /*) echo "$c $(stat -L -c '%n %s %Y' "$p")" ;; esac
	done
}

build_base() {
	local c p m f ver=$KVER mods
	STAGE=$KDIR/stage.$$
	rm -rf "$KDIR"/stage.*; mkdir -p "$STAGE"    # leftovers of builds that died (we hold the lock)
	(cd "$STAGE" && mkdir -p usr/bin usr/sbin usr/lib usr/lib64 proc sys dev tmp run root etc var \
		repo etc/warren-vm && ln -s usr/bin bin && ln -s usr/sbin sbin && ln -s usr/lib lib &&
		ln -s usr/lib64 lib64 && ln -s ../run var/run && chmod 1777 tmp)
	mknod "$STAGE/dev/console" c 5 1
	mknod "$STAGE/dev/null" c 1 3

	for c in $REQUIRED_TOOLS $OPTIONAL_TOOLS; do
		p=$(type -P "$c") || continue
		install_bin "$p" "$c"
	done
	# GNU coreutils in full: scenarios are written against them, not busybox's subset.
	if command -v dpkg >/dev/null; then
		for p in $(dpkg -L coreutils 2>/dev/null | grep -E '^/usr/s?bin/|^/bin/'); do
			[ -f "$p" ] && install_bin "$p"
		done
	fi
	ln -sf bash "$STAGE/usr/bin/sh"
	cp "$BUSYBOX" "$STAGE/usr/bin/busybox"
	for p in $("$BUSYBOX" --list-full); do
		c=$(basename "$p")
		[ -e "$STAGE/usr/bin/$c" ] || [ -e "$STAGE/usr/sbin/$c" ] || ln -s busybox "$STAGE/usr/bin/$c"
	done

	# Modules with their dependencies; depmod writes modules.dep and modules.alias so the
	# kernel can autoload nft expressions through /sbin/modprobe.
	mods=$(for m in $MODULES; do modprobe -S "$ver" --show-depends "$m" 2>/dev/null; done |
		awk '$1 == "insmod" { print $2 }' | sort -u)
	[ -n "$mods" ] || die "no modules resolved for $ver"
	for f in $mods; do install_file "$f" "$f"; done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -e "/lib/modules/$ver/$f" ] && install_file "/lib/modules/$ver/$f" "/lib/modules/$ver/$f"
	done
	depmod -b "$STAGE" "$ver" || die "depmod failed"

	# Just enough of /etc for name lookups, iproute2, tcpdump's privilege drop and ld.so.
	printf 'root:x:0:0:root:/root:/bin/bash\ntcpdump:x:104:109::/nonexistent:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$STAGE/etc/passwd"
	printf 'root:x:0:\ntcpdump:x:109:\nnogroup:x:65534:\n' >"$STAGE/etc/group"
	printf '127.0.0.1 localhost warren-vm\n::1 localhost ip6-localhost\n' >"$STAGE/etc/hosts"
	printf 'passwd: files\ngroup: files\nhosts: files\nservices: files\nprotocols: files\n' >"$STAGE/etc/nsswitch.conf"
	for f in /etc/protocols /etc/services /etc/ethertypes /etc/ld.so.conf; do
		[ -e "$f" ] && cp -L "$f" "$STAGE$f"
	done
	[ -d /etc/ld.so.conf.d ] && cp -rL /etc/ld.so.conf.d "$STAGE/etc/"
	# The zones the policy scenarios' schedules are computed in (server.timezone).
	for f in UTC Europe/Berlin America/New_York; do
		[ -e "/usr/share/zoneinfo/$f" ] && install_file "/usr/share/zoneinfo/$f" "/usr/share/zoneinfo/$f"
	done
	# glibc loads libgcc_s at run time to unwind exiting threads (getaddrinfo_a's): ldd
	# never names it, and without it the process aborts.
	for f in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
		[ -e "$f" ] && install_file "$f" "$f" && break
	done
	# openresolv (a shell script) with its subscribers and configuration, and a resolv.conf
	# for scenarios to mount their own over (t_dns.sh).
	if [ -e /etc/resolvconf.conf ] && [ -d /lib/resolvconf ]; then
		cp -L /etc/resolvconf.conf "$STAGE/etc/"
		mkdir -p "$STAGE/usr/lib" && cp -rL /lib/resolvconf "$STAGE/usr/lib/"
	fi
	: >"$STAGE/etc/resolv.conf"
	[ -d /etc/iproute2 ] && cp -rL /etc/iproute2 "$STAGE/etc/"
	[ -d /usr/share/iproute2 ] && mkdir -p "$STAGE/usr/share" && cp -rL /usr/share/iproute2 "$STAGE/usr/share/"
	command -v ldconfig >/dev/null && ldconfig -r "$STAGE" 2>/dev/null

	(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$KDIR/base.cpio.gz.tmp" || die "cpio of the base image failed"
	mv "$KDIR/base.cpio.gz.tmp" "$KDIR/base.cpio.gz"
	rm -rf "$STAGE"
}

# ensure_base: rebuild $KDIR/base.cpio.gz when its inputs changed; one builder at a time.
ensure_base() {
	local want
	mkdir -p "$KDIR"
	want=$(base_inputs | sha256sum | cut -d' ' -f1)
	exec 9>"$KDIR/.lock"
	flock 9
	if [ ! -s "$KDIR/base.cpio.gz" ] || [ "$(cat "$KDIR/base.stamp" 2>/dev/null)" != "$want" ]; then
		echo "# building kernel-tier initramfs for $KVER" >&2
		build_base
		echo "$want" >"$KDIR/base.stamp"
	fi
	exec 9>&-
}

# The guest's PID 1: mounts, loads wireguard, runs the plan, prints markers, powers off.
write_init() {
	cat >"$1" <<'EOF'
#!/bin/bash
# /init of the kernel-tier VM: runs /etc/warren-vm/plan and reports each script's status.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME=/root LC_ALL=C TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
hostname warren-vm
echo "@@warren-vm init $(uname -r), $(nproc) cpus"
ip link set lo up
. /etc/warren-vm/env
modprobe wireguard || echo "not ok - modprobe wireguard"
if [ "${WARREN_VM_SHELL:-0}" = 1 ]; then
	echo "warren-vm: $(uname -r); repo in /repo; exit to power off"
	setsid -c bash -i </dev/ttyS0 >/dev/ttyS0 2>&1
else
	status=0
	cd /repo
	while read -r s; do
		echo "@@warren-vm begin $s"
		WARREN_BACKEND=kernel timeout -k 5 "$WARREN_VM_SCRIPT_TIMEOUT" bash "$s" </dev/null 2>&1
		rc=$?
		echo "@@warren-vm end $s $rc"
		[ $rc = 0 ] || status=1
	done </etc/warren-vm/plan
	echo "@@warren-vm done $status"
fi
sync
poweroff -f
echo o >/proc/sysrq-trigger
EOF
	chmod 755 "$1"
}

# build_overlay DIR SCRIPT...: /init, the plan, tests/ and build/warren with its libraries.
build_overlay() {
	local w=$1 s d; shift
	STAGE=$w/stage
	mkdir -p "$STAGE/repo/build" "$STAGE/etc/warren-vm"
	write_init "$STAGE/init"
	tar -C "$ROOT" --exclude=tests/fuzz --exclude=tests/unit -cf - tests | tar -C "$STAGE/repo" -xf -
	# build/warren, the unit-test binaries (live tests run them against wireguard.ko) and
	# the scenarios' C drivers (build/tests/netns/*), moved to /repo/build in the guest;
	# their libraries stay where ldd found them.
	# Libraries warren loads only when it needs them (a portal, the resolver), with theirs.
	for s in libcurl.so.4 libmicrohttpd.so.12 libunbound.so.8; do
		s=$(ldconfig -p 2>/dev/null | awk -v n="$s" '$1 == n && /x86-64/ { print $NF; exit }')
		[ -n "$s" ] && install_bin "$s"
	done
	for s in "$BDIR/warren" "$BDIR"/tests/unit/test_* "$BDIR"/tests/netns/*; do
		[ -f "$s" ] && [ -x "$s" ] || continue
		install_bin "$s"
		d=$STAGE/repo/build${s#"$BDIR"}
		mkdir -p "$(dirname "$d")"
		mv "$STAGE$(realpath -m "$(dirname "$s")")/$(basename "$s")" "$d"
	done
	for s in "$@"; do printf '%s\n' "${s#"$ROOT"/}"; done >"$STAGE/etc/warren-vm/plan"
	{
		echo "WARREN_VM_SCRIPT_TIMEOUT=$KERNEL_SCRIPT_TIMEOUT"
		echo "WARREN_VM_SHELL=${VM_SHELL:-0}"
	} >"$STAGE/etc/warren-vm/env"
	(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$w/overlay.cpio.gz"
	cat "$KDIR/base.cpio.gz" "$w/overlay.cpio.gz" >"$w/initrd"
}

# ---------------------------------------------------------------- boot and report

# qemu_accel: sets ACCEL to "-accel kvm -cpu ..." when KVM looks usable, else to tcg.
# Some hosts (nested, newer kernels) reject MSRs QEMU sets for "-cpu host", so each
# candidate is tried on a paused machine first; a host where a KVM guest then still
# stalls is remembered in $KDIR/kvm-stalls and goes straight to tcg.
qemu_accel() {
	local cpu
	ACCEL="-accel tcg -cpu max"
	[ "${QEMU_ACCEL:-auto}" = tcg ] && return
	if [ "${QEMU_ACCEL:-auto}" = auto ] && grep -qxF "$HOST_ID" "$KDIR/kvm-stalls" 2>/dev/null; then
		return
	fi
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		for cpu in host host,-arch-capabilities; do
			# In a subshell so a QEMU that aborts does not make bash report it.
			if (echo quit | timeout 10 qemu-system-x86_64 -accel kvm -cpu "$cpu" -nodefaults \
				-display none -S -monitor stdio) >/dev/null 2>&1; then
				ACCEL="-accel kvm -cpu $cpu"; return
			fi
		done
	fi
	[ "${QEMU_ACCEL:-auto}" = kvm ] && die "QEMU_ACCEL=kvm but KVM is not usable here"
}

# qemu_cmd INITRD: the QEMU command line, in QEMU[]. No NIC: the guest talks to no one.
qemu_cmd() {
	QEMU=(qemu-system-x86_64 -nodefaults -no-user-config $ACCEL -m 1G -smp 2 -no-reboot
		-display none -serial stdio -kernel "$KIMG" -initrd "$1"
		-append "console=ttyS0 quiet panic=-1 mitigations=off random.trust_cpu=on")
}

# start_vm INITRD: QEMU in the background, its console on the FIFO read as fd $CON.
start_vm() {
	qemu_cmd "$1"
	rm -f "$WORK/console"; mkfifo "$WORK/console"
	(exec timeout -k 5 "$KERNEL_TIMEOUT" "${QEMU[@]}") </dev/null >"$WORK/console" 2>&1 &
	VM_PID=$!
	exec {CON}<"$WORK/console"
}

# report: read the console, rewrite result lines, account for each script. Returns 3
# when a KVM guest shows no sign of /init within KERNEL_BOOT_TIMEOUT seconds.
report() {
	local line rc t booted=0 deadline=$(( $(date +%s) + KERNEL_BOOT_TIMEOUT ))
	[ "${ACCEL#-accel kvm}" = "$ACCEL" ] && booted=1
	cur='' nok=0 done_rc='' failed=0
	while :; do
		if [ $booted = 0 ]; then
			t=$(( deadline - $(date +%s) )); [ $t -lt 1 ] && t=1
			IFS= read -r -t "$t" -u "$CON" line; rc=$?
			if [ $rc -gt 128 ]; then
				[ $(date +%s) -lt $deadline ] && continue
				kill "$VM_PID" 2>/dev/null; wait "$VM_PID" 2>/dev/null
				exec {CON}<&-
				return 3
			fi
			[ $rc = 0 ] || break
		else
			IFS= read -r -u "$CON" line || break
		fi
		line=${line%$'\r'}
		case $line in
		"@@warren-vm init "*)
			booted=1
			echo "# booted in $(( $(date +%s) - start )) s: ${line#@@warren-vm init }" ;;
		"@@warren-vm begin "*)
			cur=${line#@@warren-vm begin }; nok=0
			echo "== kernel: $cur (+$(( $(date +%s) - start )) s)" ;;
		"@@warren-vm end "*)
			set -- ${line#@@warren-vm end }
			if [ "$2" != 0 ] && [ $nok = 0 ]; then
				case $2 in
				124|137) echo "not ok - [kernel] $1 timed out after ${KERNEL_SCRIPT_TIMEOUT}s" ;;
				*) echo "not ok - [kernel] $1 exited $2" ;;
				esac
			fi
			[ "$2" = 0 ] || failed=1
			cur='' ;;
		"@@warren-vm done "*) done_rc=${line#@@warren-vm done } ;;
		"ok - "*) echo "ok - [kernel] ${line#ok - }" ;;
		"not ok - "*) nok=$((nok + 1)); failed=1; echo "not ok - [kernel] ${line#not ok - }" ;;
		"["*"] reboot: Power down") ;;
		*) printf '%s\n' "$line" ;;
		esac
	done
	wait "$VM_PID" 2>/dev/null
	exec {CON}<&-
	return 0
}

VM_SHELL=0
if [ "${1:-}" = -i ]; then VM_SHELL=1; shift; fi
[ $VM_SHELL = 1 ] || [ $# -gt 0 ] || { echo "usage: $0 [-i] SCRIPT..." >&2; exit 2; }
check_host
pick_kernel
for s in "$@"; do [ -f "$s" ] || die "no such script: $s"; done
ensure_base
WORK=$(mktemp -d "${TMPDIR:-/tmp}/warren-vm.XXXXXX")
VM_PID=
trap '[ -n "$VM_PID" ] && kill "$VM_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
build_overlay "$WORK" "$@" || die "building the overlay failed"
HOST_ID="$(uname -r) $(qemu-system-x86_64 --version | head -n 1)"
qemu_accel

if [ $VM_SHELL = 1 ]; then
	qemu_cmd "$WORK/initrd"
	"${QEMU[@]}"
	exit
fi

echo "# kernel tier: $KVER, qemu ${ACCEL#-accel }"
start=$(date +%s)
start_vm "$WORK/initrd"
if ! report; then
	echo "# KVM guest did not reach /init in ${KERNEL_BOOT_TIMEOUT}s; using tcg from now on on this host"
	grep -qxF "$HOST_ID" "$KDIR/kvm-stalls" 2>/dev/null || echo "$HOST_ID" >>"$KDIR/kvm-stalls"
	ACCEL="-accel tcg -cpu max"
	start=$(date +%s)
	start_vm "$WORK/initrd"
	report
fi

if [ -z "$done_rc" ]; then
	echo "not ok - [kernel] VM stopped before finishing${cur:+ (in $cur)}: timeout ${KERNEL_TIMEOUT}s or crash"
	exit 1
fi
echo "# kernel tier: $(( $(date +%s) - start )) s in the VM ($KVER, ${ACCEL#-accel })"
[ "$done_rc" = 0 ] && [ $failed = 0 ]
