# kstream - plain Makefile. Overridable: CC, CFLAGS, PREFIX, DESTDIR,
# SANITIZE=1 (ASan+UBSan build in build-san/).
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
SANITIZE ?=

MAJOR := $(shell sed -n 's/^\#define KSTREAM_VERSION_MAJOR //p' include/kstream.h)
MINOR := $(shell sed -n 's/^\#define KSTREAM_VERSION_MINOR //p' include/kstream.h)
PATCH := $(shell sed -n 's/^\#define KSTREAM_VERSION_PATCH //p' include/kstream.h)
VERSION := $(MAJOR).$(MINOR).$(PATCH)

ifeq ($(SANITIZE),1)
B       := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
OPT     := -O1 -g
# Known leak in Criterion's runner, see the file. Full (slow) unwinding so
# the suppression can see the frame it names through libcriterion.
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0
else
B       := build
SANFLAGS :=
OPT     := -O2 -g
endif

PKGS      := rdkafka rocksdb avro-c jansson libcurl
DEPS_OK   := $(shell scripts/deps.sh build >&2 && echo ok)
ifneq ($(DEPS_OK),ok)
$(error dependencies missing: see the message above)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lpthread -lm

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CFLAGS  ?=
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SANFLAGS) \
              -fPIC -fvisibility=hidden -DKSTREAM_BUILDING \
              -Iinclude -Ilib $(PKG_CFLAGS) $(CFLAGS)

LIB_SRCS := $(sort $(wildcard lib/*/*.c))
LIB_OBJS := $(patsubst %.c,$(B)/%.o,$(LIB_SRCS))
SONAME   := libkstream.so.$(MAJOR)
SHLIB    := $(B)/libkstream.so.$(VERSION)
STLIB    := $(B)/libkstream.a

.PHONY: all deps test test-unit check install uninstall clean demo bench \
        docs examples style test-deps test-docs test-exports test-install \
        test-asserts
all: $(SHLIB) $(STLIB) $(B)/tools/kstream-dev-cluster

-include $(LIB_OBJS:.o=.d)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(STLIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(SHLIB): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,$(SONAME) $(SANFLAGS) -o $@ $^ $(PKG_LIBS)
	ln -sf libkstream.so.$(VERSION) $(B)/$(SONAME)
	ln -sf $(SONAME) $(B)/libkstream.so

# ---- tools and docs ----------------------------------------------------
GEN_CONF_DOC := $(B)/tools/gen_conf_doc

$(GEN_CONF_DOC): tools/gen_conf_doc.c $(STLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(STLIB) $(PKG_LIBS)

# The development cluster as a program (static: no library path to set).
$(B)/tools/kstream-dev-cluster: tools/kstream-dev-cluster.c $(STLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(STLIB) $(PKG_LIBS)

# Regenerate docs/configuration.md from lib/core/conf_props.c.
docs: $(GEN_CONF_DOC)
	@mkdir -p docs
	$(GEN_CONF_DOC) > docs/configuration.md.tmp
	mv docs/configuration.md.tmp docs/configuration.md

# ---- tests: one Criterion binary per folder of tests/ ------------------
TEST_DIRS  := $(filter-out tests/install tests/data tests/valgrind tests/apps tests/fuzz,$(patsubst %/,%,$(sort $(dir $(wildcard tests/*/*.c)))))
TEST_BINS  := $(patsubst tests/%,$(B)/tests/%,$(TEST_DIRS))
TEST_LIBS  := $(shell pkg-config --libs criterion 2>/dev/null)

# tests/examples also links the examples' topology sources (every .c of
# examples/*/ except main.c), so each example's topology is unit-tested.
TEST_EXTRA_examples := $(filter-out %/main.c,$(wildcard examples/*/*.c))
define TEST_RULE
$(B)/tests/$(1): $(wildcard tests/$(1)/*.c) $(wildcard tests/$(1)/*.h) \
    $(TEST_EXTRA_$(1)) $(STLIB)
	@mkdir -p $(B)/tests
	$(CC) $(ALL_CFLAGS) -Iexamples -o $$@ $(wildcard tests/$(1)/*.c) \
	    $(TEST_EXTRA_$(1)) $(STLIB) $(TEST_LIBS) $(PKG_LIBS)
endef
$(foreach d,$(patsubst tests/%,%,$(TEST_DIRS)),$(eval $(call TEST_RULE,$(d))))
# tests/devcluster runs the tool.
$(B)/tests/devcluster: $(B)/tools/kstream-dev-cluster

# Programs the integration tests start as separate processes (an app to
# SIGKILL, extra instances): tests/apps/NAME.c -> $(B)/tests/apps/NAME.
TEST_APPS := $(patsubst tests/apps/%.c,$(B)/tests/apps/%,$(wildcard tests/apps/*.c))
$(B)/tests/apps/%: tests/apps/%.c $(STLIB)
	@mkdir -p $(B)/tests/apps
	$(CC) $(ALL_CFLAGS) -o $@ $< $(STLIB) $(PKG_LIBS)

# After the Criterion binaries, `make test` runs these checks, in order
# (each is also a target of its own). Add new checks to TEST_CHECKS.
TEST_CHECKS := test-asserts test-docs test-exports test-install \
               test-samples test-demo \
               $(if $(filter 1,$(SANITIZE)),,test-valgrind) test-fuzz

test: test-deps $(TEST_BINS) $(TEST_APPS)
	@scripts/run-tests.sh $(B) $(TEST_BINS)
	@$(MAKE) --no-print-directory -j1 $(TEST_CHECKS)

# No Criterion gt() (2.4.1's means >=; see the script).
test-asserts:
	@tests/api/check_asserts.sh tests examples

# docs/configuration.md must be what the property table generates.
test-docs: $(GEN_CONF_DOC)
	@tests/api/check_conf_doc.sh $(GEN_CONF_DOC) docs/configuration.md

# The .so exports exactly the KSTREAM_EXPORT functions of the header.
test-exports: $(SHLIB)
	@tests/api/check_exports.sh $(SHLIB) include/kstream.h $(SONAME)

# Install into a temporary DESTDIR, build a program with pkg-config, run it.
test-install: $(SHLIB) $(STLIB)
	@MAKE="$(MAKE)" CC="$(CC)" SANITIZE="$(SANITIZE)" \
	    SANFLAGS="$(SANFLAGS)" tests/install/run.sh

test-deps:
	@scripts/deps.sh test

# Every C sample in README.md and docs/*.md compiles (and main()s run).
test-samples: $(STLIB)
	@CC="$(CC)" CFLAGS="$(ALL_CFLAGS)" LIBS="$(STLIB) $(PKG_LIBS)" \
	    tests/api/check_samples.sh README.md docs/*.md

# A test-driver run (the quickstart pipeline) under valgrind: no leak, no
# invalid access. (Skipped under SANITIZE=1: valgrind cannot run ASan code.)
# Still-reachable blocks are not counted: RocksDB and gflags allocate
# globals at load time that they never free.
VALGRIND := valgrind -q --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=9
$(B)/tests/valgrind-stateful: tests/valgrind/stateful.c $(STLIB)
	@mkdir -p $(B)/tests
	$(CC) $(ALL_CFLAGS) -o $@ $< $(STLIB) $(PKG_LIBS)
test-valgrind: $(B)/examples/quickstart $(B)/tests/valgrind-stateful \
               $(B)/tests/apps/count_app $(B)/tools/kstream-dev-cluster
	@$(VALGRIND) $(B)/examples/quickstart --records 300 \
	    >/dev/null 2>$(B)/valgrind.log || { cat $(B)/valgrind.log; exit 1; }
	@$(VALGRIND) $(B)/tests/valgrind-stateful \
	    >/dev/null 2>$(B)/valgrind.log || { cat $(B)/valgrind.log; exit 1; }
	@tests/valgrind/kafka_app.sh $(B) $(VALGRIND)
	@echo "valgrind test: ok (stateless and stateful driver runs, a Kafka app)"

# ---- examples and the demo ---------------------------------------------
EXAMPLE_DIRS := $(patsubst examples/%/,%,$(sort $(dir $(wildcard examples/*/main.c))))
EXAMPLE_BINS := $(patsubst %,$(B)/examples/%,$(EXAMPLE_DIRS))
# The demo also links the other examples' library sources (every .c of
# examples/*/ except main.c and its own), with -Iexamples.
EXAMPLE_EXTRA_demo := $(filter-out %/main.c examples/demo/%,$(wildcard examples/*/*.c))
EXAMPLE_HDRS_demo := $(wildcard examples/*/*.h)
define EXAMPLE_RULE
$(B)/examples/$(1): $(wildcard examples/$(1)/*.c) $(wildcard examples/$(1)/*.h) \
    $(EXAMPLE_EXTRA_$(1)) $(EXAMPLE_HDRS_$(1)) $(STLIB)
	@mkdir -p $(B)/examples
	$(CC) $(ALL_CFLAGS) -Iexamples -o $$@ $(wildcard examples/$(1)/*.c) \
	    $(EXAMPLE_EXTRA_$(1)) $(STLIB) $(PKG_LIBS)
endef
$(foreach d,$(EXAMPLE_DIRS),$(eval $(call EXAMPLE_RULE,$(d))))
examples: $(EXAMPLE_BINS)

# The README's first command: the three example apps together, exactly-once,
# on the embedded cluster (BOOTSTRAP=host:port: a real cluster), every
# output checked against the generators' models (PASS, or exit 1).
demo: $(B)/examples/demo
	$(B)/examples/demo $(if $(BOOTSTRAP),--bootstrap-servers $(BOOTSTRAP))

# A short demo run in `make test`.
test-demo: $(B)/examples/demo
	@$(B)/examples/demo --events 400 --timeout 40 > $(B)/test-demo.log 2>&1 \
	    || { cat $(B)/test-demo.log; exit 1; }
	@echo "demo test: ok ($$(tail -1 $(B)/test-demo.log | cut -c1-60)...)"

check: test

# ---- fuzzing (issue 7): `make fuzz` runs the libFuzzer targets of
# tests/fuzz/ longer; the section below is owned by the fuzz work.
# (fuzz section: begin)
# The targets tests/fuzz/fuzz_*.c, built with clang and libFuzzer
# (-fsanitize=fuzzer,address,undefined) against the library sources
# compiled by clang into their own directory (build-fuzz/), not against
# the gcc-built library. `make fuzz` runs each for FUZZ_SECONDS; `make
# test` runs each for FUZZ_TEST_SECONDS (test-fuzz) and fails on any
# finding. Seeds: tests/fuzz/corpus/<target>/ (read only); inputs the
# runs find collect in build-fuzz/corpus/<target>/.
.PHONY: fuzz test-fuzz
FUZZ_CC           ?= clang
FUZZ_SECONDS      ?= 60
FUZZ_TEST_SECONDS ?= 10
FUZZ_B       := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra $(FUZZ_SAN) \
                -fsanitize=fuzzer-no-link -fvisibility=hidden \
                -DKSTREAM_BUILDING -Iinclude -Ilib $(PKG_CFLAGS)
FUZZ_OBJS    := $(patsubst %.c,$(FUZZ_B)/%.o,$(LIB_SRCS))
FUZZ_LIB     := $(FUZZ_B)/libkstream-fuzz.a
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst %,$(FUZZ_B)/%,$(FUZZ_TARGETS))

-include $(FUZZ_OBJS:.o=.d)

$(FUZZ_B)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) \
	    $(PKG_LIBS)

fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(FUZZ_B) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test-fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh $(FUZZ_B) $(FUZZ_TEST_SECONDS) $(FUZZ_TARGETS)

.PHONY: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_B)
# (fuzz section: end)

# ---- benchmarks: each bench/NAME.c -> $(B)/bench/NAME -------------------
# Always -O2 without sanitizers (SANITIZE=1 re-runs make without it), linked
# with the static library and bench/common/bench.c, with allocation calls
# counted through the linker's --wrap. bench/run.sh prints each benchmark's
# output, then all "BENCH <name> <records/s> <ratio>" lines last.
# `make bench-quick` (or BENCH_QUICK=1) runs ~10x fewer records.
.PHONY: bench-quick
ifeq ($(SANITIZE),1)
bench bench-quick:
	@$(MAKE) --no-print-directory SANITIZE= $@
else
BENCH_SRCS   := $(sort $(wildcard bench/*.c))
BENCH_BINS   := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRCS))
BENCH_COMMON := bench/common/bench.c bench/common/count.c bench/common/kafka.c
BENCH_CFLAGS := $(filter-out $(OPT) $(SANFLAGS),$(ALL_CFLAGS)) -O2 -g
BENCH_WRAP   := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free

$(B)/bench/%: bench/%.c $(BENCH_COMMON) bench/common/bench.h $(STLIB)
	@mkdir -p $(B)/bench
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_COMMON) $(STLIB) $(PKG_LIBS) \
	    $(BENCH_WRAP)

bench: $(BENCH_BINS)
	@bench/run.sh $(BENCH_BINS)

bench-quick: $(BENCH_BINS)
	@BENCH_QUICK=1 bench/run.sh $(BENCH_BINS)
endif

# ---- install: PREFIX=/usr/local, DESTDIR for staging --------------------
INST_INC := $(DESTDIR)$(PREFIX)/include
INST_LIB := $(DESTDIR)$(PREFIX)/lib
INST_PC  := $(INST_LIB)/pkgconfig
INST_BIN := $(DESTDIR)$(PREFIX)/bin

install: $(SHLIB) $(STLIB) $(B)/tools/kstream-dev-cluster
	install -d "$(INST_INC)/kstream" "$(INST_LIB)" "$(INST_PC)" "$(INST_BIN)"
	install -m 0755 $(B)/tools/kstream-dev-cluster "$(INST_BIN)/kstream-dev-cluster"
	install -m 0644 include/kstream.h "$(INST_INC)/kstream.h"
	install -m 0644 include/kstream/*.h "$(INST_INC)/kstream/"
	install -m 0755 $(SHLIB) "$(INST_LIB)/libkstream.so.$(VERSION)"
	ln -sf libkstream.so.$(VERSION) "$(INST_LIB)/$(SONAME)"
	ln -sf $(SONAME) "$(INST_LIB)/libkstream.so"
	install -m 0644 $(STLIB) "$(INST_LIB)/libkstream.a"
	sed -e 's|@prefix@|$(PREFIX)|g' -e 's|@version@|$(VERSION)|g' \
	    -e 's|@requires_private@|$(PKGS)|g' pkgconfig/kstream.pc.in \
	    > "$(INST_PC)/kstream.pc"
	chmod 0644 "$(INST_PC)/kstream.pc"

uninstall:
	rm -f $(patsubst include/%,"$(INST_INC)/%",$(wildcard include/kstream/*.h))
	-rmdir "$(INST_INC)/kstream" 2>/dev/null
	rm -f "$(INST_INC)/kstream.h" "$(INST_LIB)/libkstream.so.$(VERSION)" \
	    "$(INST_LIB)/$(SONAME)" "$(INST_LIB)/libkstream.so" \
	    "$(INST_LIB)/libkstream.a" "$(INST_PC)/kstream.pc" \
	    "$(INST_BIN)/kstream-dev-cluster"

clean:
	rm -rf build build-san build-fuzz
