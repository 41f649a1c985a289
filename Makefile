# sessiond build. `make` builds build/sessiond (and build/sessionctl once it exists);
# `make check` runs every test; `make SAN=1 check` does the same under ASan/UBSan.
CC      ?= cc
PKG     := pkg-config
PKGS    := libmicrohttpd sqlite3 libsodium jansson
SAN     ?=
ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     ?= -O1 -g
else
BUILD   ?= build
SANFLAGS :=
OPT     ?= -O2 -g
endif

CFLAGS_ALL  = -std=c11 -D_GNU_SOURCE $(OPT) -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
              -Isrc $(shell $(PKG) --cflags $(PKGS)) $(SANFLAGS) $(CFLAGS) -MMD -MP
LDLIBS_ALL  = $(shell $(PKG) --libs $(PKGS)) -lpthread -lm $(SANFLAGS) $(LDFLAGS)

SRC      := $(shell find src -name '*.c' -o -name '*.S' | sort)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
LIB_OBJ  := $(patsubst src/%.S,$(BUILD)/obj/%.o,$(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC)))
MAIN_OBJ := $(BUILD)/obj/main.o
CTL_SRC  := $(shell find tools/sessionctl -name '*.c' 2>/dev/null | sort)
CTL_OBJ  := $(patsubst tools/%.c,$(BUILD)/obj/tools/%.o,$(CTL_SRC))
UNIT_SRC := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TEST_PKGS := cmocka libxml-2.0
CTL_PKGS := libcurl

PROGRAMS := $(BUILD)/sessiond $(if $(CTL_SRC),$(BUILD)/sessionctl)

.PHONY: all check unit api demo bench bench-quick clean deps fmt
all: $(PROGRAMS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/obj/%.o: src/%.S docs/openapi.json
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

$(BUILD)/obj/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(shell $(PKG) --cflags $(CTL_PKGS)) -c -o $@ $<

$(BUILD)/libsessiond.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/sessiond: $(MAIN_OBJ) $(BUILD)/libsessiond.a
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/sessionctl: $(CTL_OBJ) $(BUILD)/libsessiond.a
	$(CC) -o $@ $^ $(shell $(PKG) --libs $(CTL_PKGS)) $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsessiond.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(shell $(PKG) --cflags $(TEST_PKGS)) -o $@ $< $(BUILD)/libsessiond.a \
		$(shell $(PKG) --libs $(TEST_PKGS)) $(LDLIBS_ALL)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

api: $(PROGRAMS)
	SESSIOND_BIN=$(abspath $(BUILD)/sessiond) SESSIONCTL_BIN=$(abspath $(BUILD)/sessionctl) \
		/usr/bin/python3 -m pytest -q tests/api

check: $(PROGRAMS) $(UNIT_BIN)
	@scripts/check $(BUILD)

demo: $(PROGRAMS)
	$(BUILD)/sessiond --demo

$(BUILD)/sessiond-gen: bench/gen.c $(BUILD)/libsessiond.a
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libsessiond.a $(LDLIBS_ALL)

bench: $(PROGRAMS) $(BUILD)/sessiond-gen
	bench/run

bench-quick: $(PROGRAMS) $(BUILD)/sessiond-gen
	bench/run --quick

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
