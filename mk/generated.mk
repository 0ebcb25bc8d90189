# Test files written by a generator kept in the tree (t/gen/), and the check
# that nobody edited one by hand.
#
#   make t/abuse.t         regenerate t/abuse.t from t/gen/abuse.pl
#   make check-generated   fails, showing the diff, when t/abuse.t is not
#                          what t/gen/abuse.pl writes (part of "make test",
#                          so CI catches a hand edit)
#
# Needs nothing beyond perl (the generators use core modules only).

GENERATED_DIR := $(BUILD)/generated

.PHONY: check-generated

TEST_TARGETS += check-generated

# phony as well as a file: after a hand edit t/abuse.t is newer than its
# generator, and "make t/abuse.t" must still overwrite it
.PHONY: t/abuse.t
t/abuse.t:
	perl t/gen/abuse.pl > $@.tmp && mv -f $@.tmp $@

check-generated:
	@mkdir -p $(GENERATED_DIR)
	@perl t/gen/abuse.pl > $(GENERATED_DIR)/abuse.t
	@diff -u t/abuse.t $(GENERATED_DIR)/abuse.t || { \
	    echo "check-generated: t/abuse.t is not what t/gen/abuse.pl writes;" \
	         "edit the cases in t/gen/abuse.pl and run make t/abuse.t" >&2; \
	    exit 1; }
