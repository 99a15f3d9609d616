# SPDX-License-Identifier: GPL-2.0
#
# A small work-alike of the kernel's tools/testing/selftests/lib.mk, so
# the vmq selftests build and run the same way out of tree as they would
# in tools/testing/selftests/drivers/net/vmq.  Honoured variables:
# TEST_PROGS, TEST_GEN_PROGS, TEST_GEN_PROGS_EXTENDED (built helpers the
# tests run, not tests themselves), TEST_FILES, CFLAGS, LDLIBS, OUTPUT.
# Targets: all, run_tests, emit_tests, clean.

selfdir := $(realpath $(dir $(lastword $(MAKEFILE_LIST))))
OUTPUT ?= $(CURDIR)
COLLECTION ?= $(patsubst $(selfdir)/%,%,$(CURDIR))
CC ?= gcc
CFLAGS += -Wall -Wextra -O2 -g

TEST_GEN_PROGS := $(addprefix $(OUTPUT)/,$(TEST_GEN_PROGS))
TEST_GEN_PROGS_EXTENDED := $(addprefix $(OUTPUT)/,$(TEST_GEN_PROGS_EXTENDED))

.PHONY: all run_tests emit_tests clean

all: $(TEST_GEN_PROGS) $(TEST_GEN_PROGS_EXTENDED)

$(OUTPUT)/%: %.c $(EXTRA_DEPS)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LDLIBS) -o $@

run_tests: all
	@cd $(OUTPUT) && $(selfdir)/kselftest/runner.sh \
		$(TEST_PROGS) $(notdir $(TEST_GEN_PROGS))

emit_tests:
	@for t in $(TEST_PROGS) $(notdir $(TEST_GEN_PROGS)); do \
		echo "$(COLLECTION):$$t"; \
	done

clean:
	rm -f $(TEST_GEN_PROGS) $(TEST_GEN_PROGS_EXTENDED)
