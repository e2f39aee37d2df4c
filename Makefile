# warren: the only build entry. See README.md.
#   make              build build/warren
#   make check        unit, fuzz, netns, web and kernel tests; ends with "N passed, N failed"
#   make deps         install the Debian packages the build, tests and demo need
#   make bench-deps   install wrk and nginx-light for tests/bench/portal.sh (services not started)
#   make install      PREFIX=/usr/local DESTDIR=
#   make demo         a lab in network namespaces, left running; make demo-stop removes it
#   V=1 shows full command lines; SANITIZE=1 builds with ASan and UBSan;
#   WERROR=1 (default under CI=true) turns warnings into errors.

VERSION := 0.1.0
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= /lib/systemd/system
TMPFILESDIR ?= /usr/lib/tmpfiles.d
DESTDIR ?=
B := build

CC ?= cc
PKG_CONFIG ?= pkg-config
LIBS_PC := libmnl libnftnl libsodium libconfig sqlite3 libqrencode zlib
# Headers only: loaded when used (server/portal/mhd.c, agent/curlapi.c, agent/sdbus.c), so an agent
# without a portal or DNS for systemd-resolved does not carry them.
DLOPEN_PC := libcurl libmicrohttpd libsystemd

ifeq ($(V),1)
Q :=
else
Q := @
endif

ifeq ($(CI),true)
WERROR ?= 1
endif

WARNFLAGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNFLAGS += -Werror
endif

CFLAGS ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DWARREN_VERSION='"$(VERSION)"' -I.
DEPFLAGS = -MMD -MP
# -pthread: server/auth/pwhash.c hashes passwords on worker threads.
PC_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) $(DLOPEN_PC) 2>/dev/null) -pthread
PC_LIBS := $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null) -pthread

ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

ALL_CFLAGS = $(CPPFLAGS) $(WARNFLAGS) $(CFLAGS) $(PC_CFLAGS) -std=gnu11

# web/ goes into the binary: embedgen writes every file there (bytes, gzip copy, type,
# ETag, one build id for the /static/BUILD/ URLs) into a C table. The list of files is
# kept in a file that changes only with the list, so a file added or removed rebuilds
# the table as an edited one does.
EMBEDGEN_SRC := server/portal/embedgen.c
EMBEDGEN := $(B)/host/embedgen
WEB_FILES := $(shell find web -type f ! -name '.*' 2>/dev/null | LC_ALL=C sort)
WEB_LIST := $(B)/gen/web_files
WEB_GEN := $(B)/gen/web_assets.c
WEB_OBJ := $(B)/gen/web_assets.o

# Every .c below these folders is part of the product; agent/main.c holds main(),
# server/portal/embedgen.c is a tool the build runs.
LIB_SRC := $(filter-out agent/main.c $(EMBEDGEN_SRC),$(sort $(wildcard common/*.c profiles/*.c netcfg/*.c agent/*.c server/*.c server/*/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o) $(WEB_OBJ)
MAIN_OBJ := $(B)/agent/main.o

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%)
TESTLIB_SRC := $(wildcard tests/unit/support/*.c)
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(B)/%.o)

# C drivers of the netns scenarios (tests/netns/*.c), one program each, linked as unit tests
# are; the kernel tier carries them into its VM, which has no compiler.
NETNS_SRC := $(sort $(wildcard tests/netns/*.c))
NETNS_BIN := $(NETNS_SRC:tests/netns/%.c=$(B)/tests/netns/%)

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_CC ?= clang
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_OBJ := $(LIB_SRC:%.c=$(B)/fuzz/obj/%.o) $(B)/fuzz/obj/gen/web_assets.o

.PHONY: all check unit netns-drivers fuzz deps bench-deps install uninstall clean demo demo-stop bench FORCE
all: $(B)/warren

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(EMBEDGEN): $(EMBEDGEN_SRC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(LDFLAGS) $(shell $(PKG_CONFIG) --libs libsodium zlib)

$(WEB_LIST): FORCE
	@mkdir -p $(dir $@)
	@echo '$(WEB_FILES)' | cmp -s - $@ || echo '$(WEB_FILES)' >$@

$(WEB_GEN): $(EMBEDGEN) $(WEB_LIST) $(WEB_FILES)
	@$(if $(Q),echo "  EMBED   web/ -> $@")
	$(Q)$(EMBEDGEN) $@ web $(WEB_FILES)

$(WEB_OBJ): $(WEB_GEN)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/libwarren.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/warren: $(MAIN_OBJ) $(B)/libwarren.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(B)/libwarren.a $(PC_LIBS)

$(B)/tests/unit/%: tests/unit/%.c $(B)/libwarren.a $(TESTLIB_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) $(DEPFLAGS) -Itests/unit \
		-o $@ $< $(TESTLIB_OBJ) $(B)/libwarren.a $(PC_LIBS) $(shell $(PKG_CONFIG) --libs cmocka) $(LDFLAGS)

$(B)/tests/netns/%: tests/netns/%.c $(B)/libwarren.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  DRIVER  $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(B)/libwarren.a $(PC_LIBS) $(LDFLAGS)

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(PC_CFLAGS) $(FUZZ_CFLAGS) -std=gnu11 -MMD -MP -c -o $@ $<

$(B)/fuzz/obj/gen/web_assets.o: $(WEB_GEN)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(PC_CFLAGS) $(FUZZ_CFLAGS) -std=gnu11 -MMD -MP -c -o $@ $<

# An archive, as for unit tests: a harness pulls in only the objects it needs, so
# objects that call into agent/main.c (the CLI) do not break the link.
$(B)/fuzz/libwarren.a: $(FUZZ_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/fuzz/%: tests/fuzz/%.c $(B)/fuzz/libwarren.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(PC_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -std=gnu11 \
		-o $@ $< $(B)/fuzz/libwarren.a $(PC_LIBS)

unit: $(UNIT_BIN)
netns-drivers: $(NETNS_BIN)
fuzz: $(FUZZ_BIN)

check: $(B)/warren unit netns-drivers fuzz
	$(Q)tests/run.sh

bench: $(B)/warren
	$(Q)for b in tests/bench/*.sh; do [ -x "$$b" ] && "$$b"; done; true

# Packages for build, tests (wireguard-go peers, QEMU kernel tier, fuzzers, Chromium and
# CJK fonts, rsvg-convert and zbarimg for the web tier) and demo.
DEB_PKGS := build-essential pkg-config clang libmnl-dev libnftnl-dev libsodium-dev \
	libconfig-dev libcurl4-openssl-dev libsqlite3-dev libqrencode-dev zlib1g-dev \
	libmicrohttpd-dev libsystemd-dev libcmocka-dev wireguard-go wireguard-tools \
	nftables iproute2 iputils-ping netcat-openbsd tcpdump procps kmod jq sqlite3 openssl curl python3 \
	iperf3 \
	qemu-system-x86 busybox-static linux-image-amd64 cpio \
	openresolv dbus-daemon libsystemd-shared \
	chromium fonts-noto-cjk librsvg2-bin zbar-tools \
	libunbound-dev dns-root-data nsd unbound dnsmasq-base ldnsutils dnsperf bind9-dnsutils
# nsd, unbound and dnsmasq (tests/netns/t_resolver.sh, tests/bench/dns.sh) are started by
# the tests themselves: their services are not started by the install (policy-rc.d 101).
# systemd-resolved for tests/netns/t_dns.sh, unpacked here rather than installed: installing
# it turns /etc/resolv.conf into a link to its stub and starts the service.
RESOLVED_DIR := $(B)/deb/systemd-resolved
# tests/web's npm packages (playwright-core, exact versions from its package-lock.json),
# installed again when the lock file is newer than what npm ci left.
WEB_TEST_LOCK := tests/web/package-lock.json
WEB_TEST_STAMP := tests/web/node_modules/.package-lock.json
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${db:Status-Abbrev}' $$p 2>/dev/null | \
		grep -q '^ii' || printf '%s ' $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing(services not started)"; \
		prc=/usr/sbin/policy-rc.d save=; \
		if [ -e $$prc ]; then save=$$(mktemp $$prc.save.XXXXXX) && mv -f $$prc "$$save" || exit 1; fi; \
		restore() { if [ -n "$$save" ]; then mv -f "$$save" $$prc; else rm -f $$prc; fi; }; \
		trap restore EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
		printf '#!/bin/sh\nexit 101\n' >$$prc && chmod 0755 $$prc && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing; \
	else echo "all dependencies installed"; fi
	@if [ ! -x $(RESOLVED_DIR)/lib/systemd/systemd-resolved ]; then \
		echo "unpacking systemd-resolved into $(RESOLVED_DIR)"; \
		t=$$(mktemp -d) && chmod 1777 "$$t" && (cd "$$t" && apt-get download -qq systemd-resolved) && \
		mkdir -p $(RESOLVED_DIR) && dpkg -x "$$t"/systemd-resolved_*.deb $(RESOLVED_DIR); \
		rc=$$?; rm -rf "$$t"; exit $$rc; fi
	@if [ ! -f $(WEB_TEST_STAMP) ] || [ $(WEB_TEST_LOCK) -nt $(WEB_TEST_STAMP) ]; then \
		echo "installing tests/web's npm packages"; \
		cd tests/web && npm ci --no-audit --no-fund --ignore-scripts; \
	else echo "tests/web's npm packages installed"; fi

# Packages for tests/bench/portal.sh: wrk, and nginx as the static-file reference. Their
# services are not started: a policy-rc.d answering 101 (action forbidden) stands for the
# install, and the one there before (if any) is put back after.
DEB_BENCH_PKGS := wrk nginx-light
bench-deps:
	@missing=$$(for p in $(DEB_BENCH_PKGS); do dpkg-query -W -f='$${db:Status-Abbrev}' $$p 2>/dev/null | \
		grep -q '^ii' || printf '%s ' $$p; done); \
	if [ -z "$$missing" ]; then echo "all bench dependencies installed"; exit 0; fi; \
	echo "installing: $$missing(services not started)"; \
	prc=/usr/sbin/policy-rc.d save=; \
	if [ -e $$prc ]; then save=$$(mktemp $$prc.save.XXXXXX) && mv -f $$prc "$$save" || exit 1; fi; \
	restore() { if [ -n "$$save" ]; then mv -f "$$save" $$prc; else rm -f $$prc; fi; }; \
	trap restore EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	printf '#!/bin/sh\nexit 101\n' >$$prc && chmod 0755 $$prc && \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $$missing

# The units name /usr/sbin/warren; sed points them at this install's $(SBINDIR).
install: $(B)/warren
	install -D -m 0755 $(B)/warren $(DESTDIR)$(SBINDIR)/warren
	install -D -m 0644 docs/warren.8 $(DESTDIR)$(MANDIR)/man8/warren.8
	install -D -m 0644 docs/warren.conf.5 $(DESTDIR)$(MANDIR)/man5/warren.conf.5
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in systemd/*.service; do \
		sed 's|/usr/sbin/warren|$(SBINDIR)/warren|g' "$$u" >$(DESTDIR)$(SYSTEMDUNITDIR)/$${u#systemd/} && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${u#systemd/} || exit 1; done
	install -D -m 0644 systemd/warren.tmpfiles $(DESTDIR)$(TMPFILESDIR)/warren.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/warren $(DESTDIR)$(MANDIR)/man8/warren.8 \
		$(DESTDIR)$(MANDIR)/man5/warren.conf.5 $(DESTDIR)$(TMPFILESDIR)/warren.conf \
		$(patsubst systemd/%,$(DESTDIR)$(SYSTEMDUNITDIR)/%,$(wildcard systemd/*.service))

clean:
	rm -rf $(B)

# A lab in network namespaces: a branch gateway running warren with two tunnels, a LAN
# host behind it, two WireGuard servers and a WAN router between them. Left running.
demo: $(B)/warren
	$(Q)WARREN=$(B)/warren demo/lab.sh start

demo-stop:
	$(Q)demo/lab.sh stop

-include $(shell find $(B) -path '$(B)/kernel' -prune -o -type f -name '*.d' -print 2>/dev/null)
