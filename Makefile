# flowtop — top-like, eBPF-assisted network flow tracker
#
#   make            build ./flowtop
#   make run        install missing Debian packages, build, run flowtop
#   make test       install missing packages (with test tools), build, run all tests
#   make bench      benchmarks (figures, not pass/fail); bench-ui and
#                   bench-stall: the interactive view
#   make install    binary, man page and conf files under $(PREFIX) and /etc/flowtop
#   SANITIZE=1      build everything with AddressSanitizer + UBSan
#   make fuzz       libFuzzer targets (tests/fuzz/) built into build-fuzz/,
#                   each run for FUZZ_SECONDS (default 300)

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PREFIX   ?= /usr/local
SYSCONFDIR ?= /etc/flowtop
DESTDIR  ?=
BUILD    ?= build

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/s390x/s390/')

# the one place the version is set (--version, the -u User-Agent): make
# VERSION=x.y, else the checkout's tag (git describe), else the release below
VERSION  ?= $(shell git describe --tags --dirty 2>/dev/null | sed 's/^v//')
ifeq ($(strip $(VERSION)),)
VERSION  := 0.1.0
endif

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Iinclude -I$(BUILD) \
	    -DFLOWTOP_SYSCONFDIR='"$(SYSCONFDIR)"' -DFLOWTOP_DATADIR='"$(PREFIX)/share/flowtop"' \
	    -DFLOWTOP_VERSION='"$(VERSION)"' \
	    -MMD -MP
# libfixbuf (IPFIX export) brings glib; its headers need glib's include
# path. It is opened at run time (fixbuf_dl.c), not linked.
FIXBUF_CFLAGS := $(shell pkg-config --cflags libfixbuf 2>/dev/null)
CFLAGS   += $(FIXBUF_CFLAGS)
LDLIBS   += -lbpf -lelf -lz -lnetfilter_conntrack -lmnl -lpthread -lm
# enrichment: reverse DNS (c-ares), GeoIP (libmaxminddb); -u downloads with
# libcurl, opened at run time (geoip_update.c): its headers only at build time
LDLIBS   += -lcares -lmaxminddb -ldl
LDLIBS   += -lncursesw -ltinfo
# dropping capabilities after start-up
LDLIBS   += -lcap-ng

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
BUILD    := build-san
# for make test: any report fails (first error ends the process with a
# status of its own), and so do leaks at exit; tests/integration/lib.sh
# adds a log_path per test and fails the test on any report
ASAN_OPTIONS  ?= halt_on_error=1:exitcode=66:detect_leaks=1:abort_on_error=0
UBSAN_OPTIONS ?= halt_on_error=1:exitcode=66:print_stacktrace=1
export ASAN_OPTIONS UBSAN_OPTIONS
endif

# v3: jmp32 and alu32 (Linux 5.1), atomics with fetch (5.12) where used
BPF_CFLAGS = -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Iinclude -Wall

SRCS      := $(wildcard src/*.c)
OBJS      := $(SRCS:src/%.c=$(BUILD)/%.o)
LIB_OBJS  := $(filter-out $(BUILD)/main.o,$(OBJS))
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/%.bpf.o)
SKELS     := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/%.skel.h)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c bench/*.c)
TOOL_BINS := $(patsubst %.c,$(BUILD)/%,$(TOOL_SRCS))

.PHONY: all run test test-build unit bench bench-silent bench-ui bench-stall install uninstall clean deps deps-test vmlinux fuzz fuzz-build

all: flowtop

flowtop: $(BUILD)/flowtop
	cp $< $@.tmp && mv -f $@.tmp $@

# linked aside and renamed: a test running $(BUILD)/flowtop meanwhile keeps
# the old file instead of failing to exec a half-written one
$(BUILD)/flowtop: $(OBJS)
	$(CC) $(LDFLAGS) -o $@.tmp $^ $(LDLIBS) && mv -f $@.tmp $@

$(BUILD)/libflowtop.a: $(LIB_OBJS)
	ar rcs $@ $^

$(BUILD)/%.o: src/%.c $(SKELS) | $(BUILD)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c include/flow_key.h vmlinux/vmlinux.h | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# kept: as intermediates of the pattern rules make would delete them after
# each build, and the next make (make test after make test-build, the fuzz
# build in .ci/run's background) would build them, and every object, again
.SECONDARY: $(BPF_OBJS) $(SKELS)

$(BUILD):
	mkdir -p $(BUILD)/tests/tools $(BUILD)/bench

# vmlinux/vmlinux.h is committed so the build needs no BTF; refresh it with this
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

# unit tests: pure logic, no root
$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libflowtop.a | $(BUILD)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libflowtop.a $(LDLIBS) -lcmocka

# helper programs for tests and benchmarks
$(BUILD)/tests/tools/%: tests/tools/%.c $(BUILD)/libflowtop.a | $(BUILD)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libflowtop.a $(LDLIBS)
$(BUILD)/bench/%: bench/%.c $(BUILD)/libflowtop.a | $(BUILD)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libflowtop.a $(LDLIBS)

unit: $(UNIT_BINS)

deps:
	./scripts/install-deps.sh

deps-test:
	./scripts/install-deps.sh --test

run: deps
	$(MAKE) flowtop
	@# a free GeoIP database when none is installed; flowtop runs without one too
	-./scripts/fetch-geoip-db.sh
	./flowtop $(ARGS)

# SANITIZE=1 leaves ./flowtop alone: the tests run $(BUILD)/flowtop. The
# plain pass builds every tool and benchmark (they must keep building); the
# sanitized one only the programs the tests run (tests/tools, loadgen):
# the other benchmarks, sanitized, took ~45 s of CPU for nothing run.
TEST_TOOL_BINS := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/tools/*.c)) $(BUILD)/bench/loadgen
test: deps-test
	$(MAKE) test-build
	BUILD=$(BUILD) ./tests/run.sh

# what make test runs, built without running it (.ci/run builds the
# sanitized pass's programs while the first pass's tests run)
test-build:
	$(MAKE) $(if $(filter 1,$(SANITIZE)),$(BUILD)/flowtop $(TEST_TOOL_BINS),flowtop $(TOOL_BINS)) unit

bench: deps-test
	$(MAKE) flowtop $(TOOL_BINS)
	BUILD=$(BUILD) ./bench/run.sh

# flowtop started on a full table of flows older than it (~3 min)
bench-silent: deps-test
	$(MAKE) flowtop $(TOOL_BINS)
	BUILD=$(BUILD) ./bench/silent.sh

bench-ui: deps-test
	$(MAKE) flowtop $(TOOL_BINS)
	BUILD=$(BUILD) ./bench/ui_bench.sh
	$(BUILD)/bench/view_build_bench

# the view under bursts of new flows and a table expiring at once (~30 min
# with the default 10 runs of each; UI_STALL_RUNS=N for fewer)
bench-stall: deps-test
	$(MAKE) flowtop $(TOOL_BINS)
	BUILD=$(BUILD) ./bench/ui_stall.sh

install: flowtop
	install -D -m 0755 flowtop $(DESTDIR)$(PREFIX)/sbin/flowtop
	install -D -m 0644 man/flowtop.8 $(DESTDIR)$(PREFIX)/share/man/man8/flowtop.8
	install -d $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(PREFIX)/share/flowtop
	for f in conf/*; do \
		[ -f "$$f" ] || continue; \
		install -m 0644 "$$f" $(DESTDIR)$(PREFIX)/share/flowtop/; \
		[ -e "$(DESTDIR)$(SYSCONFDIR)/$${f#conf/}" ] || \
			install -m 0644 "$$f" $(DESTDIR)$(SYSCONFDIR)/; \
	done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/flowtop $(DESTDIR)$(PREFIX)/share/man/man8/flowtop.8
	rm -rf $(DESTDIR)$(PREFIX)/share/flowtop

# Fuzzing: every src/*.c but main.c rebuilt with clang, the sanitizers and
# libFuzzer's coverage hooks into build-fuzz/, linked into one program per
# tests/fuzz/fuzz_NAME.c. Leak detection stays on.
FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		-fno-sanitize-recover=undefined
FUZZ_LIB_OBJS := $(patsubst src/%.c,$(FUZZ_BUILD)/obj/%.o,$(filter-out src/main.c,$(SRCS)))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_BUILD)/obj/%.o: src/%.c $(SKELS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_BUILD)/libflowtop.a: $(FUZZ_LIB_OBJS)
	ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_BUILD)/libflowtop.a
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< \
		$(FUZZ_BUILD)/libflowtop.a $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) ./tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build build-san build-fuzz flowtop

-include $(OBJS:.o=.d) $(FUZZ_LIB_OBJS:.o=.d)
