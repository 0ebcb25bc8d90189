# appverify: nginx and Apache httpd modules for Telesign App Verify.
#
#   make          build the nginx module (build/ngx_http_appverify_module.so)
#   make test     unit tests of the core, the simulator's self-test, then
#                 the nginx suite (t/*.t)
#   make demo     build, start nginx + the Telesign simulator on loopback,
#                 walk the verification flow, stop everything
#   make deb      the Debian packages libnginx-mod-http-appverify and
#                 libapache2-mod-appverify in build/deb/ (mk/deb.mk)
#   make deps     install the Debian packages the project needs (root);
#                 plain "make" installs only what building needs
#
# Nothing here downloads anything but Debian packages.

SHELL      := /bin/bash
BUILD      := $(CURDIR)/build
NGX_SRC    ?= /usr/share/nginx/src
NGINX      ?= /usr/sbin/nginx
CC         ?= cc
CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wpointer-arith
CORE_SRC   := $(sort $(wildcard common/*.c))
CORE_HDR   := $(wildcard common/*.h)
UNIT_SRC   := $(sort $(wildcard t/unit/test_*.c))
UNIT_BIN   := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
NGX_MOD    := $(BUILD)/ngx_http_appverify_module.so
LIBS       := -lssl -lcrypto -lyajl -lsodium
# more compiler and linker flags for the nginx module, given to nginx's
# ./configure (debian/rules passes dpkg-buildflags' hardening flags)
NGX_CC_OPT ?=
NGX_LD_OPT ?=

.PHONY: all deps deps-build module unit test test-keys test-sim test-nginx demo clean

all: module

# --- dependencies ---------------------------------------------------------
# Each line: a file that proves the package is there, then the package.
# BUILD_DEPS is what "make" needs to build the nginx module and the core's
# tests; every other part adds what its own targets need to DEPS from its
# mk/ file, and "make deps" (which the test targets call) installs it all,
# so a plain "make" installs no browser, valgrind or clang.
BUILD_DEPS := \
	/usr/sbin/nginx:nginx \
	/usr/share/nginx/src/configure:nginx-dev \
	/usr/include/openssl/evp.h:libssl-dev \
	/usr/include/yajl/yajl_parse.h:libyajl-dev \
	/usr/include/sodium.h:libsodium-dev \
	/usr/include/hiredis/hiredis.h:libhiredis-dev \
	/usr/bin/cc:gcc

DEPS := $(BUILD_DEPS) \
	/usr/bin/curl:curl \
	/usr/share/perl5/Test/Base.pm:libtest-base-perl \
	/usr/share/perl5/Text/Diff.pm:libtext-diff-perl \
	/usr/share/perl5/Test/LongString.pm:libtest-longstring-perl \
	/usr/share/perl5/HTTP/Response.pm:libhttp-message-perl \
	/usr/share/perl5/LWP/UserAgent.pm:libwww-perl \
	/usr/share/perl5/URI.pm:liburi-perl \
	/usr/share/perl5/IPC/Run.pm:libipc-run-perl \
	/usr/share/perl5/List/MoreUtils.pm:liblist-moreutils-perl \
	/usr/lib/python3/dist-packages/prometheus_client/__init__.py:python3-prometheus-client \
	/usr/bin/prove:perl

# $(call install_missing,LIST): apt-get install what LIST names and lacks
define install_missing
missing=""; for d in $(1); do \
	    f=$${d%%:*}; p=$${d##*:}; \
	    [ -e "$$f" ] || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    if [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps-build:
	@$(call install_missing,$(BUILD_DEPS))

deps:
	@$(call install_missing,$(DEPS))

# --- the core's unit tests ------------------------------------------------
$(BUILD)/unit/%: t/unit/%.c $(CORE_SRC) $(CORE_HDR) t/unit/unit.h t/unit/mem_store.h t/unit/flow_conf.h | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -Icommon -It/unit -o $@ $< $(CORE_SRC) $(LIBS)

unit: $(UNIT_BIN)
	@rc=0; for t in $(UNIT_BIN); do $$t || rc=1; done; exit $$rc

# --- the nginx module -----------------------------------------------------
# Debian's nginx-dev ships a configured source tree and the distro's
# configure flags (with --with-compat), so the module loads into the stock
# /usr/sbin/nginx.  The tree is copied because configure writes into it.
NGX_MOD_SRC := config $(CORE_SRC) $(CORE_HDR) $(wildcard ngx_module/*.c ngx_module/*.h)

$(BUILD)/nginx-src/configure: | deps-build
	@mkdir -p $(BUILD)
	rm -rf $(BUILD)/nginx-src && cp -a $(NGX_SRC) $(BUILD)/nginx-src

$(BUILD)/nginx-src/objs/Makefile: $(BUILD)/nginx-src/configure config
	cd $(BUILD)/nginx-src && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" --add-dynamic-module=$(CURDIR) \
	    $(if $(strip $(NGX_CC_OPT)),--with-cc-opt='$(strip $(NGX_CC_OPT))') \
	    $(if $(strip $(NGX_LD_OPT)),--with-ld-opt='$(strip $(NGX_LD_OPT))') \
	    >$(BUILD)/configure.log 2>&1 || { tail -20 $(BUILD)/configure.log; exit 1; }

$(NGX_MOD): $(BUILD)/nginx-src/objs/Makefile $(NGX_MOD_SRC)
	$(MAKE) -C $(BUILD)/nginx-src -f objs/Makefile modules
	@# a new file, renamed over the old: a running nginx keeps its mapping
	cp $(BUILD)/nginx-src/objs/ngx_http_appverify_module.so $@.tmp
	mv -f $@.tmp $@

module: $(NGX_MOD)

# --- tests ----------------------------------------------------------------
# Each part of the project adds its own suites to TEST_TARGETS from its own
# makefile in mk/ (Apache, browser, fuzz corpora, ...), so "make test" runs
# everything without this file naming every part.
TEST_TARGETS := test-keys unit test-sim test-nginx

-include $(sort $(wildcard mk/*.mk))

test: $(TEST_TARGETS)

# git keeps no read bits: the test keys get the mode a real key file has,
# or every nginx started by the suites warns that they are world-readable
test-keys:
	@chmod 600 t/data/*.key

# the simulator checks itself against every vector of telesign-protocol.md
test-sim: | deps
	@./examples/telesign-sim/selftest

test-nginx: $(NGX_MOD) | deps
	@./t/run-nginx-tests

demo: $(NGX_MOD) | deps
	@./examples/demo.sh

clean:
	rm -rf $(BUILD) t/servroot*
