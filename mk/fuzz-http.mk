# The HTTP-level fuzzer of the whole server (fuzz/http/fuzz-http): nginx
# with the ASan+UBSan module, the same nginx with its zone's state in Redis
# (nginx-redis: a redis-server of its own, in memory, README "Cluster")
# and httpd with mod_appverify, the Telesign simulator behind them, driven
# with mutated requests on every endpoint, timing games, a misbehaving
# Telesign, parallel requests for one session and, on nginx-redis, Redis
# SIGSTOPped or killed under requests (503 store_unavailable is allowed
# only while it is down); see the head of fuzz/http/fuzz-http for what
# fails a run.
#
#   make fuzz-http-short   about 60 s, the three servers a third each
#                          (part of "make test")
#   make fuzz-http         FUZZ_HTTP_SECONDS (600) in all, split between the
#                          servers; each failing scenario is replayed alone
#                          on fresh servers and shrunk (--minimize)
#
#   FUZZ_HTTP_SEED=N       the same request sequence as run N (printed first);
#                          make test's short run takes FUZZ_HTTP_SHORT_SEED
#                          (fixed, so a red CI replays), make fuzz-http a
#                          fresh seed each time
#   FUZZ_HTTP_SERVERS=nginx,nginx-redis,httpd (the default) or any of them
#   FUZZ_HTTP_ARGS=...     more options: --kind par_finalize, --kind redis_fault,
#                          --plant kill (or redis: Redis stopped unannounced), -v
#
# Ports: nginx and nginx-redis 19960, the simulator 19961, httpd 19962,
# nginx-redis's redis-server 19965.  Servroots and failure reports:
# build/fuzz-http/.  Needs nothing beyond Debian's perl (IO::Socket::INET,
# IO::Select, Time::HiRes, JSON::PP, Digest::SHA), redis-server and gcc's
# libasan.

FUZZ_HTTP_SECONDS       ?= 600
FUZZ_HTTP_HTTPD_ASAN    ?= 1
FUZZ_HTTP_SHORT_SECONDS ?= 54
FUZZ_HTTP_SERVERS       ?= nginx,nginx-redis,httpd
FUZZ_HTTP_SEED          ?=
FUZZ_HTTP_SHORT_SEED    ?= 20261202
FUZZ_HTTP_ARGS          ?=

# httpd's module built with ASan+UBSan like nginx's (apxs, as mk/apache.mk
# does, into a directory of its own); httpd then runs with libasan
# preloaded.  FUZZ_HTTP_HTTPD_ASAN=0: the plain build/mod_appverify.so.
FUZZ_HTTP_ASAN_HTTPD := $(BUILD)/fuzz-http/asan-httpd/mod_appverify.so
FUZZ_HTTP_APACHE_SRC := $(sort $(wildcard apache_module/*.c))

# hardening.mk and apache.mk build the others (mk/*.mk are read in name
# order, so the variables they define may not be set yet here)
FUZZ_HTTP_MODS := $(BUILD)/asan/ngx_http_appverify_module.so \
                  $(if $(filter 1,$(FUZZ_HTTP_HTTPD_ASAN)),$(FUZZ_HTTP_ASAN_HTTPD),$(BUILD)/mod_appverify.so)

FUZZ_HTTP_RUN = ./fuzz/http/fuzz-http --servers $(FUZZ_HTTP_SERVERS) \
                $(if $(filter 1,$(FUZZ_HTTP_HTTPD_ASAN)),--httpd-asan,--no-httpd-asan) \
                $(if $(FUZZ_HTTP_SEED),--seed $(FUZZ_HTTP_SEED)) $(FUZZ_HTTP_ARGS)

DEPS += \
	/usr/bin/perl:perl \
	/usr/bin/gcc:gcc \
	/usr/bin/redis-server:redis-server

.PHONY: fuzz-http fuzz-http-short

TEST_TARGETS += fuzz-http-short

$(FUZZ_HTTP_ASAN_HTTPD): $(CORE_SRC) $(CORE_HDR) $(FUZZ_HTTP_APACHE_SRC) \
                         $(wildcard apache_module/*.h) mk/fuzz-http.mk | deps
	@d=$(dir $@); rm -rf $$d && mkdir -p $$d && \
	for f in $(CORE_SRC) $(FUZZ_HTTP_APACHE_SRC); do ln -s $(CURDIR)/$$f $$d; done && \
	echo "apxs -c mod_appverify with ASan+UBSan (log: $${d}build.log)" && \
	cd $$d && $(or $(APXS),/usr/bin/apxs) -c -o mod_appverify.la \
	    -I$(CURDIR)/common -I$(CURDIR)/apache_module \
	    -Wc,-fsanitize=address,undefined -Wc,-fno-omit-frame-pointer \
	    -Wc,-fno-sanitize-recover=undefined -Wl,-fsanitize=address,undefined \
	    $(notdir $(CORE_SRC) $(FUZZ_HTTP_APACHE_SRC)) $(APACHE_LIBS) \
	    >build.log 2>&1 || { cat build.log; exit 1; }
	cp $(dir $@).libs/mod_appverify.so $@.tmp && mv -f $@.tmp $@

fuzz-http-short: test-keys $(FUZZ_HTTP_MODS) | deps
	@$(FUZZ_HTTP_RUN) $(if $(FUZZ_HTTP_SEED),,--seed $(FUZZ_HTTP_SHORT_SEED)) \
	    --seconds $(FUZZ_HTTP_SHORT_SECONDS)

fuzz-http: test-keys $(FUZZ_HTTP_MODS) | deps
	@$(FUZZ_HTTP_RUN) --seconds $(FUZZ_HTTP_SECONDS) --minimize
