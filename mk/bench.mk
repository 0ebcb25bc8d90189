# Benchmarks (issue 6): make bench runs bench/run, which prints the tables
# that bench/RESULTS.md records.  Not part of "make test": it takes minutes
# and its numbers depend on the machine.

DEPS += \
	/usr/bin/wrk:wrk \
	/usr/lib/python3/dist-packages/flask/__init__.py:python3-flask \
	/usr/lib/python3/dist-packages/jwt/__init__.py:python3-jwt \
	/usr/bin/gunicorn:gunicorn

.PHONY: bench bench-instructions

# the Apache rows run when the Apache module is part of the build
bench: $(NGX_MOD) $(APACHE_MOD) | deps
	@./bench/run

# The gate's instructions per request against the static file's, counted
# by callgrind: unaffected by the machine's noise, so it tells whether a
# change to the hot path made it cheaper (make bench says by how much)
bench-instructions: $(NGX_MOD) | deps
	@./bench/instructions
