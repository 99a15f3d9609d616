# SPDX-License-Identifier: GPL-2.0
#
# vmq: out-of-tree build of the vmq modules, plus the project's entry
# points.  The real work is in scripts/; this file only names it.
#
#   make                 build for every supported kernel with headers
#   make KDIR=<dir>      build for the kernel tree at <dir> only
#   make check           deps, lint, build, selftests in a VM per kernel
#   make check-debug     selftests on a 6.12 KASAN/lockdep/kmemleak kernel
#   make demo            boot the VM and show what vmq does
#   make shell [K=6.12]  interactive shell in the test VM
#   make lint            checkpatch --strict, sparse (C=2), W=1, kernel-doc, vmq.rst
#   make deps            install the Debian packages the project needs
#   make bench           benchmarks in the VM: table, bench/results.json, plots
#   make soak [DURATION=10m]  the fuzzers (and other stress) in a VM per kernel
#   make deb             build/deb/vmq-dkms_*.deb: DKMS builds the modules per kernel

K ?= 6.12
DURATION ?= 10m

.PHONY: all modules check check-debug lint demo shell deps clean install help \
	bench soak deb

all modules:
ifneq ($(KDIR),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules
else
	@for kver in $$(scripts/kernels.sh); do \
		scripts/build.sh $$kver || exit 1; \
	done
endif

install:
	$(MAKE) -C $(or $(KDIR),/lib/modules/$(shell uname -r)/build) \
		M=$(CURDIR) modules_install
	install -D -m 0755 tools/vmq-queues $(DESTDIR)/usr/local/sbin/vmq-queues

check:
	scripts/check.sh

check-debug:
	scripts/check-debug.sh

lint:
	scripts/lint.sh

demo:
	scripts/demo.sh

shell:
	scripts/vm -k $(K) --shell

deps:
	scripts/deps.sh

bench:
	scripts/bench

deb:
	scripts/deb.sh

soak:
	scripts/soak $(DURATION)

clean:
	rm -rf build
ifneq ($(KDIR),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
endif

help:
	@sed -n '3,16p' Makefile
