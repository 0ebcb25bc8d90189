# Benchmarks (issue 6): make bench runs bench/run, which prints the tables
# that bench/RESULTS.md records.  Not part of "make test": it takes minutes
# and its numbers depend on the machine.

DEPS += \
	/usr/bin/wrk:wrk \
	/usr/lib/python3/dist-packages/flask/__init__.py:python3-flask \
	/usr/lib/python3/dist-packages/jwt/__init__.py:python3-jwt \
	/usr/bin/gunicorn:gunicorn

.PHONY: bench

# the Apache rows run when the Apache module is part of the build
bench: $(NGX_MOD) $(APACHE_MOD) | deps
	@./bench/run
