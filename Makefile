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
else
B       := build
SANFLAGS :=
OPT     := -O2 -g
endif

PKGS      := rdkafka rocksdb avro-c
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
        docs examples style
all: $(SHLIB) $(STLIB)

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

# ---- tests: one Criterion binary per folder of tests/ ------------------
TEST_DIRS  := $(filter-out tests/install tests/data,$(patsubst %/,%,$(sort $(dir $(wildcard tests/*/*.c)))))
TEST_BINS  := $(patsubst tests/%,$(B)/tests/%,$(TEST_DIRS))
TEST_LIBS  := $(shell pkg-config --libs criterion 2>/dev/null)

define TEST_RULE
$(B)/tests/$(1): $(wildcard tests/$(1)/*.c) $(wildcard tests/$(1)/*.h) $(STLIB)
	@mkdir -p $(B)/tests
	$(CC) $(ALL_CFLAGS) -o $$@ $(wildcard tests/$(1)/*.c) $(STLIB) \
	    $(TEST_LIBS) $(PKG_LIBS)
endef
$(foreach d,$(patsubst tests/%,%,$(TEST_DIRS)),$(eval $(call TEST_RULE,$(d))))

test: test-deps $(TEST_BINS)
	@scripts/run-tests.sh $(B) $(TEST_BINS)

test-deps:
	@scripts/deps.sh test

check: test

clean:
	rm -rf build build-san
