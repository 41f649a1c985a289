# sessiond build. `make` builds build/sessiond and build/sessionctl; `make check` runs
# every test (scripts/check); `make SAN=1 check` does the same under ASan/UBSan.
CC      ?= cc
PKG     := pkg-config
PKGS    := libmicrohttpd sqlite3 libsodium jansson libpq gnutls libcurl
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
# FUZZ=1 (set by `make fuzz`): the library built with clang for libFuzzer, ASan and UBSan.
ifeq ($(FUZZ),1)
BUILD   := build-fuzz
CC      := clang
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1 -g
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

.PHONY: all check unit api browser screenshots demo bench bench-quick clean deps fmt
all: $(PROGRAMS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/obj/%.o: src/%.S docs/openapi.json $(wildcard ui/*)
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

# One version for both programs: sessiond's (src/main.c), unless VERSION=... is given.
VERSION ?= $(shell sed -n 's/^\#define VERSION "\(.*\)"$$/\1/p' src/main.c)

$(BUILD)/obj/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DSESSIOND_VERSION='"$(VERSION)"' $(shell $(PKG) --cflags $(CTL_PKGS)) -c -o $@ $<

$(CTL_OBJ): src/main.c

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

# The dashboard in headless Chromium (tests/browser); BROWSER_ARGS=... goes to pytest
# (e.g. BROWSER_ARGS="-k live"). Screenshots of each page are kept in build/screenshots/.
browser: $(PROGRAMS)
	SESSIOND_BIN=$(abspath $(BUILD)/sessiond) /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		tests/browser $(BROWSER_ARGS)

# Regenerates the README's picture of the jobs page from a --demo server.
screenshots: $(PROGRAMS)
	SESSIOND_BIN=$(abspath $(BUILD)/sessiond) /usr/bin/python3 -m pytest -q -p no:cacheprovider \
		tests/browser/test_dashboard.py -k test_jobs_page_shows_every_job_fast
	@mkdir -p docs/screenshots
	cp build/screenshots/jobs.png docs/screenshots/jobs.png

check: $(PROGRAMS) $(UNIT_BIN)
	@scripts/check $(BUILD)

# A living demo in all three dialects: its own database, admin password "demo-admin"
# unless SESSIOND_ADMIN_PASSWORD says otherwise.
DEMO_DB ?= $(BUILD)/demo.db
demo: $(PROGRAMS)
	@echo "sessiond demo: user admin, password $${SESSIOND_ADMIN_PASSWORD:-demo-admin}; database $(DEMO_DB); Ctrl-C stops"
	SESSIOND_ADMIN_PASSWORD=$${SESSIOND_ADMIN_PASSWORD:-demo-admin} $(BUILD)/sessiond --demo --db $(DEMO_DB)

# The service on PostgreSQL: a database in this machine's Debian cluster (scripts/pg-setup
# starts or creates the cluster, and creates the role and database when missing), then sessiond on it.
.PHONY: run-pg
run-pg: $(PROGRAMS)
	@uri=$$(scripts/pg-setup) && echo "sessiond on $$uri; Ctrl-C stops" && exec $(BUILD)/sessiond --db "$$uri"

$(BUILD)/sessiond-gen: bench/gen.c $(BUILD)/libsessiond.a
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libsessiond.a $(LDLIBS_ALL)

# The crowd's measuring client (bench/crowd.py): plain C, no library of ours.
$(BUILD)/sessiond-crowd-client: bench/crowd_client.c
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_ALL) -o $@ $<

bench: $(PROGRAMS) $(BUILD)/sessiond-gen $(BUILD)/sessiond-crowd-client
	bench/run

bench-quick: $(PROGRAMS) $(BUILD)/sessiond-gen $(BUILD)/sessiond-crowd-client
	bench/run --quick

# The PostgreSQL figures (docs/SCALING.md): durable ingest on one instance, reads through 1 and 2.
.PHONY: bench-pg
bench-pg: $(PROGRAMS)
	/usr/bin/python3 bench/pg.py

# Fuzzing (docs/RELIABILITY.md): `make fuzz` builds every tests/fuzz/fuzz_*.c into build-fuzz/;
# `make fuzz-run FUZZ_SECONDS=N` runs each for N seconds over its seed corpus.
FUZZ_SECONDS ?= 20
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/%,$(FUZZ_SRC))
.PHONY: fuzz fuzz-bins fuzz-run sanitize

fuzz:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins

fuzz-bins: $(FUZZ_BIN)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(BUILD)/libsessiond.a
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer $(shell $(PKG) --cflags libxml-2.0) -o $@ $< $(BUILD)/libsessiond.a \
		$(shell $(PKG) --libs libxml-2.0) $(LDLIBS_ALL)

fuzz-run: fuzz
	@tests/fuzz/run $(FUZZ_SECONDS)

# Unit and API tests under ASan+UBSan (LeakSanitizer on), as `make check` also does.
sanitize:
	@$(MAKE) --no-print-directory SAN=1 sanitize-tests

.PHONY: sanitize-tests
sanitize-tests: $(BUILD)/sessiond $(UNIT_BIN)
	@scripts/check --san $(BUILD)

# Installation (docs/OPERATIONS.md): `make install [PREFIX=/usr/local] [DESTDIR=…]` puts the
# programs, man pages, the systemd unit (its ExecStart pointed at BINDIR), the sysusers.d entry
# of the sessiond user, the settings file (not over an existing one), the bash completion of
# sessionctl and the operations guide in place. `make deb` builds build/sessiond_VERSION_ARCH.deb
# with dpkg-deb (PREFIX=/usr; postinst makes the user).
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/sessiond
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR  ?= /etc
DEB_ROOT    := $(BUILD)/deb/root
DEB_ARCH     = $(shell dpkg --print-architecture)
.PHONY: install deb

install: $(PROGRAMS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(SYSCONFDIR)/default
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 644 man/sessiond.8 $(DESTDIR)$(MANDIR)/man8/sessiond.8
	install -m 644 man/sessionctl.1 $(DESTDIR)$(MANDIR)/man1/sessionctl.1
	sed -e 's#/usr/local/bin/#$(BINDIR)/#' -e 's#/etc/default/#$(SYSCONFDIR)/default/#' \
		packaging/sessiond.service > $(DESTDIR)$(UNITDIR)/sessiond.service
	chmod 644 $(DESTDIR)$(UNITDIR)/sessiond.service
	install -m 644 packaging/sessiond.sysusers $(DESTDIR)$(SYSUSERSDIR)/sessiond.conf
	install -m 644 tools/sessionctl/sessionctl.bash-completion $(DESTDIR)$(COMPLETIONDIR)/sessionctl
	install -m 644 docs/OPERATIONS.md README.md $(DESTDIR)$(DOCDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/sessiond ] || \
		install -m 644 packaging/sessiond.default $(DESTDIR)$(SYSCONFDIR)/default/sessiond

deb: $(PROGRAMS)
	rm -rf $(BUILD)/deb
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr UNITDIR=/lib/systemd/system \
		SYSUSERSDIR=/usr/lib/sysusers.d
	strip --strip-unneeded $(DEB_ROOT)/usr/bin/*
	gzip -9n $(DEB_ROOT)/usr/share/man/man8/sessiond.8 $(DEB_ROOT)/usr/share/man/man1/sessionctl.1
	install -d -m 755 $(DEB_ROOT)/DEBIAN
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' \
		-e "s/@SIZE@/$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)/" \
		packaging/debian/control.in > $(DEB_ROOT)/DEBIAN/control
	echo /etc/default/sessiond > $(DEB_ROOT)/DEBIAN/conffiles
	install -m 755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm $(DEB_ROOT)/DEBIAN/
	dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $(BUILD)/sessiond_$(VERSION)_$(DEB_ARCH).deb

# Formats C sources with .clang-format (not run by check; the tree is close to it already).
fmt:
	clang-format -i $$(find src tools tests/unit tests/fuzz bench -name '*.[ch]')

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
