# The Apache httpd module: build/mod_appverify.so with apxs, its suite, its demo.
#
#   make build/mod_appverify.so   (plain "make" builds it too)
#   make test-apache              the shared scenarios against httpd AND nginx,
#                                 then two httpds sharing one redis-server
#   make demo-apache              the SDK flow on httpd + the simulator
#
# apxs compiles next to its sources, so the sources are linked into
# build/apache/ and compiled there: common/ stays clean for everyone else.

APXS        ?= /usr/bin/apxs
APACHE2     ?= /usr/sbin/apache2
APACHE_MOD  := $(BUILD)/mod_appverify.so
APACHE_DIR  := $(BUILD)/apache
APACHE_SRC  := $(sort $(wildcard apache_module/*.c))
APACHE_HDR  := $(wildcard apache_module/*.h)
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

.PHONY: apache test-apache demo-apache

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
	    -ljansson -lcrypto -lcurl >$(APACHE_DIR)/build.log 2>&1 \
	    || { cat $(APACHE_DIR)/build.log; exit 1; }
	cp $(APACHE_DIR)/.libs/mod_appverify.so $@.tmp && mv -f $@.tmp $@

comma := ,

TEST_TARGETS += test-apache

test-apache: $(APACHE_MOD) $(NGX_MOD)
	@./t/both-servers/run

demo-apache: $(APACHE_MOD)
	@./examples/demo-apache.sh
