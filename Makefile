# CoucheStor: dm-couche kernel module and its userspace tools.
#
#   make          build dm-couche.ko (against KDIR) and the tools
#   make check    every test: KUnit (UML), then the VM selftests
#   make demo     a 3-tier volume in a throwaway VM
#   make bench    performance ratios, each against its baseline (build/bench/)
#   make install  install the module for KVER (or use dkms.conf)

KVER ?= $(shell tools/kernel-version)
KDIR ?= /lib/modules/$(KVER)/build
CC ?= gcc
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -Iinclude

TOOLS := tools/replay-log tools/pattern

.PHONY: all module tools clean check demo bench kunit selftests deps install sparse checkpatch

all: module tools

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools: $(TOOLS)

tools/%: tools/%.c
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

deps:
	tools/deps.sh

check: deps
	$(MAKE) all
	tools/check.sh

kunit: deps
	tools/kunit.sh

selftests: deps
	$(MAKE) all
	tools/vm/run-tests.sh $(TESTS)

demo: deps
	$(MAKE) all
	tools/vm/demo.sh

bench: deps
	$(MAKE) all
	tools/bench/run.sh

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER)

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	rm -f $(TOOLS)
	rm -rf build
