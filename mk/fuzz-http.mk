# The HTTP-level fuzzer of the whole server (fuzz/http/fuzz-http): nginx
# with the ASan+UBSan module and httpd with mod_appverify, the Telesign
# simulator behind them, driven with mutated requests on every endpoint,
# timing games, a misbehaving Telesign and parallel requests for one
# session; see the head of fuzz/http/fuzz-http for what fails a run.
#
#   make fuzz-http-short   about 60 s, both servers (part of "make test")
#   make fuzz-http         FUZZ_HTTP_SECONDS (600) in all, split between the
#                          servers; each failing scenario is replayed alone
#                          on fresh servers and shrunk (--minimize)
#
#   FUZZ_HTTP_SEED=N       the same request sequence as run N (printed first)
#   FUZZ_HTTP_SERVERS=nginx|httpd|nginx,httpd
#   FUZZ_HTTP_ARGS=...     more options: --kind par_finalize, --plant kill, -v
#
# Ports: nginx 19960, the simulator 19961, httpd 19962.  Servroots and
# failure reports: build/fuzz-http/.  Needs nothing beyond Debian's perl
# (IO::Socket::INET, IO::Select, Time::HiRes, JSON::PP, Digest::SHA) and
# gcc's libasan.

FUZZ_HTTP_SECONDS       ?= 600
FUZZ_HTTP_SHORT_SECONDS ?= 54
FUZZ_HTTP_SERVERS       ?= nginx,httpd
FUZZ_HTTP_SEED          ?=
FUZZ_HTTP_ARGS          ?=

# hardening.mk and apache.mk build these (mk/*.mk are read in name order,
# so the variables they define may not be set yet here)
FUZZ_HTTP_MODS := $(BUILD)/asan/ngx_http_appverify_module.so $(BUILD)/mod_appverify.so

FUZZ_HTTP_RUN = ./fuzz/http/fuzz-http --servers $(FUZZ_HTTP_SERVERS) \
                $(if $(FUZZ_HTTP_SEED),--seed $(FUZZ_HTTP_SEED)) $(FUZZ_HTTP_ARGS)

DEPS += \
	/usr/bin/perl:perl \
	/usr/bin/gcc:gcc

.PHONY: fuzz-http fuzz-http-short

TEST_TARGETS += fuzz-http-short

fuzz-http-short: test-keys $(FUZZ_HTTP_MODS) | deps
	@$(FUZZ_HTTP_RUN) --seconds $(FUZZ_HTTP_SHORT_SECONDS)

fuzz-http: test-keys $(FUZZ_HTTP_MODS) | deps
	@$(FUZZ_HTTP_RUN) --seconds $(FUZZ_HTTP_SECONDS) --minimize
