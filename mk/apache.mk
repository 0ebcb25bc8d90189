# The Apache httpd module: build/mod_appverify.so with apxs, its suite, its demo.
#
#   make build/mod_appverify.so   (plain "make" builds it too)
#   make test-apache              the shared scenarios against httpd AND nginx,
#                                 then two httpds sharing one redis-server
#   make demo-apache              the SDK flow on httpd + the simulator
#   make test-apache-asan         t/apache/redis_store.t and the shared
#                                 scenarios against the module built with
#                                 ASan+UBSan (build/asan-apache/)
#
# apxs compiles next to its sources, so the sources are linked into
# build/apache/ and compiled there: common/ stays clean for everyone else.

APXS        ?= /usr/bin/apxs
APACHE2     ?= /usr/sbin/apache2
APACHE_MOD  := $(BUILD)/mod_appverify.so
APACHE_DIR  := $(BUILD)/apache
APACHE_SRC  := $(sort $(wildcard apache_module/*.c))
APACHE_HDR  := $(wildcard apache_module/*.h)
# what the module links, in every apxs line (fuzz-http.mk's too)
APACHE_LIBS := -lyajl -lcrypto -lcurl -lhiredis -lsodium
APACHE_WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
               -Wpointer-arith -Wno-missing-field-initializers
# more compiler flags (debian/rules passes dpkg-buildflags' CPPFLAGS;
# apxs itself brings Debian's CFLAGS and LDFLAGS)
APACHE_CFLAGS ?=

DEPS += \
	/usr/sbin/apache2:apache2 \
	/usr/bin/apxs:apache2-dev \
	/usr/bin/curl-config:libcurl4-openssl-dev \
	/usr/bin/redis-server:redis-server \
	/usr/bin/prometheus:prometheus \
	/usr/lib/apache2/modules/mod_socache_redis.so:apache2

.PHONY: apache test-apache demo-apache test-apache-asan

all: $(APACHE_MOD)
apache: $(APACHE_MOD)
build/mod_appverify.so: $(APACHE_MOD)

$(APACHE_MOD): $(CORE_SRC) $(CORE_HDR) $(APACHE_SRC) $(APACHE_HDR) mk/apache.mk | deps
	@rm -rf $(APACHE_DIR) && mkdir -p $(APACHE_DIR)
	@for f in $(CORE_SRC) $(APACHE_SRC); do ln -s $(CURDIR)/$$f $(APACHE_DIR)/; done
	@echo "apxs -c mod_appverify (log: $(APACHE_DIR)/build.log)"
	@cd $(APACHE_DIR) && $(APXS) -c -o mod_appverify.la \
	    -I$(CURDIR)/common -I$(CURDIR)/apache_module \
	    $(addprefix -Wc$(comma),$(APACHE_WARN) $(APACHE_CFLAGS)) \
	    $(notdir $(CORE_SRC) $(APACHE_SRC)) \
	    $(APACHE_LIBS) >$(APACHE_DIR)/build.log 2>&1 \
	    || { cat $(APACHE_DIR)/build.log; exit 1; }
	cp $(APACHE_DIR)/.libs/mod_appverify.so $@.tmp && mv -f $@.tmp $@

comma := ,

TEST_TARGETS += test-apache

test-apache: $(APACHE_MOD) $(NGX_MOD)
	@./t/both-servers/run

demo-apache: $(APACHE_MOD)
	@./examples/demo-apache.sh

# The module with ASan+UBSan, loaded into the stock apache2 with the
# runtimes preloaded (a wrapper the suites take as AV_APACHE2); a report
# from any process fails the target.  Not part of "make test".
APACHE_ASAN_DIR := $(BUILD)/asan-apache
APACHE_ASAN_LOG := $(APACHE_ASAN_DIR)/reports

$(APACHE_ASAN_DIR)/mod_appverify.so: $(CORE_SRC) $(CORE_HDR) $(APACHE_SRC) $(APACHE_HDR) mk/apache.mk | deps
	@rm -rf $(APACHE_ASAN_DIR) && mkdir -p $(APACHE_ASAN_DIR)
	@for f in $(CORE_SRC) $(APACHE_SRC); do ln -s $(CURDIR)/$$f $(APACHE_ASAN_DIR)/; done
	@echo "apxs -c mod_appverify, ASan+UBSan (log: $(APACHE_ASAN_DIR)/build.log)"
	@cd $(APACHE_ASAN_DIR) && $(APXS) -c -o mod_appverify.la \
	    -I$(CURDIR)/common -I$(CURDIR)/apache_module \
	    $(addprefix -Wc$(comma),$(APACHE_WARN) -O1 -g -fno-omit-frame-pointer \
	        -fsanitize=address$(comma)undefined) \
	    -Wl,-fsanitize=address,undefined \
	    $(notdir $(CORE_SRC) $(APACHE_SRC)) \
	    $(APACHE_LIBS) >$(APACHE_ASAN_DIR)/build.log 2>&1 \
	    || { cat $(APACHE_ASAN_DIR)/build.log; exit 1; }
	cp $(APACHE_ASAN_DIR)/.libs/mod_appverify.so $@

test-apache-asan: $(APACHE_ASAN_DIR)/mod_appverify.so
	@rm -rf $(APACHE_ASAN_LOG) && mkdir -p $(APACHE_ASAN_LOG) && chmod 1777 $(APACHE_ASAN_LOG)
	@{ echo '#!/bin/sh'; \
	   echo 'export LD_PRELOAD="$(shell $(CC) -print-file-name=libasan.so) $(shell $(CC) -print-file-name=libubsan.so)"'; \
	   echo 'export ASAN_OPTIONS=detect_leaks=0:log_path=$(APACHE_ASAN_LOG)/asan'; \
	   echo 'export UBSAN_OPTIONS=print_stacktrace=1:log_path=$(APACHE_ASAN_LOG)/ubsan'; \
	   echo 'exec $(APACHE2) "$$@"'; } >$(APACHE_ASAN_DIR)/apache2
	@chmod +x $(APACHE_ASAN_DIR)/apache2
	AV_APACHE2=$(APACHE_ASAN_DIR)/apache2 \
	AV_APACHE_MODULE=$(APACHE_ASAN_DIR)/mod_appverify.so \
	    prove t/apache/redis_store.t
	AV_APACHE2=$(APACHE_ASAN_DIR)/apache2 \
	AV_APACHE_MODULE=$(APACHE_ASAN_DIR)/mod_appverify.so AV_SERVERS=apache \
	    ./t/both-servers/run $(sort $(wildcard t/both-servers/*.t))
	@if ls $(APACHE_ASAN_LOG) | grep -q .; then \
	    cat $(APACHE_ASAN_LOG)/*; echo "sanitizer reports in $(APACHE_ASAN_LOG)"; exit 1; \
	fi
