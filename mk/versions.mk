# The nginx version matrix: the module built, loaded and tested on every
# current nginx, not only Debian 12's 1.22.
#
#   make test-nginx-versions       the whole nginx suite (t/*.t) against
#                                  1.22 (stock /usr/sbin/nginx), 1.26
#                                  (Debian 13's source package, fetched with
#                                  apt), 1.30 and 1.31 (../shared/nginx/),
#                                  a count per version; a version that does
#                                  not build (1.26 without Debian's archive)
#                                  fails the run, the others still run
#   make test-nginx-versions-asan  t/satisfy.t (VERSIONS_ASAN_TESTS) against
#                                  the four with the module built with
#                                  ASan+UBSan, libasan preloaded
#   make nginx-versions            just the builds (build/versions/VERSION/)
#   make test-nginx-newest         the build of 1.31 and a smoke subset of
#                                  the suite against it; part of "make test"
#                                  (no network needed)
#
# t/versions/build-nginx builds nginx and the module from one tree and one
# ./configure (--with-compat --with-debug, the default modules plus
# auth_request), under nginx's -Werror; t/versions/run runs the suite.
# Ports: 1990x for nginx, 1991x for the simulator (19900-19903 the four
# versions, 19904-19907 under ASan, 19908 the smoke run of make test).

VERSIONS_DIR        := $(BUILD)/versions
NGX_SHARED          ?= $(CURDIR)/../shared/nginx
NGX_VERSIONS        := 1.26 1.30 1.31
VERSIONS_SMOKE      ?= t/gate.t t/satisfy.t t/body.t t/lookup.t
VERSIONS_ASAN_TESTS ?= t/satisfy.t
NEWEST_DIR          := $(VERSIONS_DIR)/1.31
NEWEST_MOD          := $(NEWEST_DIR)/ngx_http_appverify_module.so

export NGX_SHARED

DEPS += \
	/usr/include/pcre2.h:libpcre2-dev \
	/usr/include/zlib.h:zlib1g-dev \
	/usr/include/openssl/ssl.h:libssl-dev \
	/usr/bin/dpkg-source:dpkg-dev \
	/usr/share/keyrings/debian-archive-keyring.gpg:debian-archive-keyring

.PHONY: nginx-versions test-nginx-versions test-nginx-versions-asan \
        test-nginx-newest

TEST_TARGETS += test-nginx-newest

# the newest one from shared/ alone (make test needs no network); nginx's
# make inside rebuilds only what changed, so this is quick when nothing did
$(NEWEST_MOD): $(NGX_MOD_SRC) t/versions/build-nginx $(NGX_SHARED)/nginx-1.31.4.tar.gz | deps
	@./t/versions/build-nginx 1.31

test-nginx-newest: $(NEWEST_MOD) test-keys
	@TEST_NGINX_PORT=19908 TEST_NGINX_SIM_PORT=19918 \
	    TEST_NGINX_SERVROOT=$(CURDIR)/t/servroot-v1.31-smoke \
	    ./t/versions/run --no-build --versions=1.31 $(VERSIONS_SMOKE)

nginx-versions: $(NGX_MOD) | deps
	@./t/versions/build-nginx $(NGX_VERSIONS)

# run builds each version itself, so that one that fails to build (or to
# be fetched) is reported and the others still run
test-nginx-versions: $(NGX_MOD) test-keys | deps
	@./t/versions/run

test-nginx-versions-asan: $(ASAN_MOD) test-keys | deps
	@./t/versions/run --asan $(VERSIONS_ASAN_TESTS)
