# Hardening (issue 7): fuzzing, sanitizers, valgrind, faults under load.
#
#   make fuzz-replay    replay the checked-in fuzz corpora (gcc, no clang
#                       needed); part of "make test"
#   make fuzz           run every libFuzzer target for FUZZ_SECONDS (60)
#                       with ASan+UBSan; FUZZ=callback runs one target;
#                       new inputs stay in build/fuzz/work/ unless
#                       FUZZ_MERGE=1, which merges those that add coverage
#                       into fuzz/corpus/<target>/ (then review and commit)
#   make unit-asan      the core's unit tests built with ASan+UBSan
#   make test-asan      the module and core built with ASan+UBSan into
#                       build/asan/, the whole nginx suite run against it
#   make test-valgrind  the nginx suite under valgrind (t/valgrind.suppress)
#   make test-faults    the slow fault tests (t/faults/, wrk on loopback)
#
# Ports: 1994 (nginx) and 19940 (simulator) for the asan/valgrind suites,
# 1995x for the fault tests, so all of it runs beside "make test".

CLANG        ?= $(firstword $(wildcard /usr/bin/clang-14 /usr/bin/clang) clang)
FUZZ_SECONDS ?= 60
FUZZ_MERGE   ?= 0
FUZZ_NAMES   := $(patsubst fuzz/fuzz_%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))
FUZZ         ?= $(FUZZ_NAMES)
FUZZ_HDR     := $(wildcard fuzz/*.h)
SAN_FLAGS    := -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined
ASAN_DIR     := $(BUILD)/asan
ASAN_MOD     := $(ASAN_DIR)/ngx_http_appverify_module.so
HARD_PORT    ?= 1994
HARD_SIM     ?= 19940

DEPS += \
	/usr/bin/clang:clang \
	/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev \
	/usr/bin/valgrind:valgrind \
	/usr/bin/wrk:wrk

.PHONY: fuzz fuzz-replay fuzz-build unit-asan test-asan test-valgrind \
        test-faults test-faults-fast module-asan

TEST_TARGETS += fuzz-replay test-faults-fast

# --- fuzzing ----------------------------------------------------------------

$(BUILD)/fuzz-replay/%: fuzz/fuzz_%.c fuzz/replay.c $(FUZZ_HDR) $(CORE_SRC) $(CORE_HDR) | deps
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(WARN) -Icommon -Ifuzz -o $@ fuzz/replay.c $< $(CORE_SRC) $(LIBS)

fuzz-replay: $(addprefix $(BUILD)/fuzz-replay/,$(FUZZ_NAMES))
	@rc=0; for t in $(FUZZ_NAMES); do \
	    $(BUILD)/fuzz-replay/$$t fuzz/corpus/$$t || rc=1; \
	done; exit $$rc

$(BUILD)/fuzz/%: fuzz/fuzz_%.c $(FUZZ_HDR) $(CORE_SRC) $(CORE_HDR) | deps
	@mkdir -p $(dir $@)
	$(CLANG) -O1 -g $(SAN_FLAGS) -fsanitize=fuzzer $(WARN) -Icommon -Ifuzz \
	    -o $@ $< $(CORE_SRC) $(LIBS)

fuzz-build: $(addprefix $(BUILD)/fuzz/,$(FUZZ))

# One target at a time (the machine is shared): each runs FUZZ_SECONDS on
# a scratch copy of its corpus; crashes land in build/fuzz/crash-<target>-*.
fuzz: fuzz-build
	@rc=0; for t in $(FUZZ); do \
	    work=$(BUILD)/fuzz/work/$$t; mkdir -p $$work; \
	    echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=20000 \
	        -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	        -artifact_prefix=$(BUILD)/fuzz/crash-$$t- \
	        $$work fuzz/corpus/$$t 2>$(BUILD)/fuzz/$$t.log \
	        || { rc=1; echo "   FAILED: see $(BUILD)/fuzz/$$t.log"; }; \
	    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE' \
	        $(BUILD)/fuzz/$$t.log | sed 's/^/   /'; \
	    if [ "$(FUZZ_MERGE)" = 1 ]; then \
	        $(BUILD)/fuzz/$$t -merge=1 fuzz/corpus/$$t $$work 2>>$(BUILD)/fuzz/$$t.log \
	            | tail -1; \
	    fi; \
	done; exit $$rc

# --- sanitizers -------------------------------------------------------------
# The core's unit tests, built with ASan+UBSan (gcc's runtimes).
$(ASAN_DIR)/unit/%: t/unit/%.c $(CORE_SRC) $(CORE_HDR) t/unit/unit.h t/unit/mem_store.h t/unit/flow_conf.h | deps
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN_FLAGS) $(WARN) -Icommon -It/unit -o $@ $< $(CORE_SRC) $(LIBS)

unit-asan: $(patsubst t/unit/%.c,$(ASAN_DIR)/unit/%,$(UNIT_SRC))
	@rc=0; for t in $^; do \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 $$t || rc=1; \
	done; exit $$rc

# The module: its own copy of nginx's configured tree, configured exactly
# like build/ (so the module signature matches the stock nginx), compiled
# and linked with the sanitizers.  The stock /usr/sbin/nginx then runs it
# with libasan preloaded (t/faults/sanitized-suite).
$(ASAN_DIR)/nginx-src/objs/Makefile: config | deps
	@mkdir -p $(ASAN_DIR)
	rm -rf $(ASAN_DIR)/nginx-src && cp -a $(NGX_SRC) $(ASAN_DIR)/nginx-src
	cd $(ASAN_DIR)/nginx-src && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" --add-dynamic-module=$(CURDIR) \
	    >$(ASAN_DIR)/configure.log 2>&1 || { tail -20 $(ASAN_DIR)/configure.log; exit 1; }

$(ASAN_MOD): $(ASAN_DIR)/nginx-src/objs/Makefile $(NGX_MOD_SRC)
	$(MAKE) -C $(ASAN_DIR)/nginx-src -f objs/Makefile modules \
	    CC="$(CC) $(SAN_FLAGS)"
	cp $(ASAN_DIR)/nginx-src/objs/ngx_http_appverify_module.so $@.tmp
	mv -f $@.tmp $@

module-asan: $(ASAN_MOD)

# The whole nginx suite against the ASan module, on its own ports and
# servroot.  Reports go to t/servroot-asan/sanitizer.<pid>; any such file
# fails the run, as does any test.
test-asan: $(ASAN_MOD) unit-asan
	@./t/faults/sanitized-suite asan

# The nginx suite under valgrind memcheck: any invalid access,
# uninitialised use or definite/indirect leak fails the run (the script
# reads valgrind's own logs); t/valgrind.suppress holds nginx's exit-time
# allocations only.
test-valgrind: $(NGX_MOD)
	@./t/faults/sanitized-suite valgrind

# --- fault tests ------------------------------------------------------------
# wrk drives the module in a master+workers nginx of its own (ports
# 19950/19951, build/faults/); each scenario prints what it showed.
# Fast: callback storms and a worker killed under load (about 12 s).
# All: also nginx -s reload under load, a full zone, and the simulator
# slow/5xx/429/garbage/hanging/dropping during lookups and calls (~50 s).
test-faults-fast: $(NGX_MOD) | deps
	@./t/faults/faults storm kill

test-faults: $(NGX_MOD) | deps
	@./t/faults/faults
