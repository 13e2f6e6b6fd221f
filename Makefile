# CoucheStor: dm-couche kernel module and its userspace tools.
#
#   make          build dm-couche.ko (against KDIR) and the tools
#   make check    every test: KUnit (UML), unit tests, fuzzing, then the VM selftests
#   make fuzz     the libFuzzer targets alone (FUZZ_SECONDS each)
#   make demo     a 3-tier volume in a throwaway VM
#   make bench    performance ratios, each against its baseline (build/bench/)
#   make install  install the module for KVER (or use dkms.conf)
#   make image    the container image deploy/ runs (podman, debootstrap base)

KVER ?= $(shell tools/kernel-version)
KDIR ?= /lib/modules/$(KVER)/build
CC ?= gcc
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Werror -std=gnu11 -Iinclude

TOOLS := tools/replay-log tools/pattern tools/couchestorctl tools/nlfuzz daemon/couchestord
NL_CFLAGS := $(shell pkg-config --cflags libnl-3.0 libnl-genl-3.0 json-c 2>/dev/null)
NL_LIBS := $(shell pkg-config --libs libnl-3.0 libnl-genl-3.0 json-c 2>/dev/null)

# libcouche: the couche netlink client both programs link (lib/couche/*.c):
# transport and extended-ack text, volumes, the extent dump, events.
LIBCOUCHE := build/libcouche.a
LIBCOUCHE_SRC := $(filter-out lib/couche/test_%.c,$(wildcard lib/couche/*.c))
LIBCOUCHE_TESTS := $(patsubst %.c,build/%,$(wildcard lib/couche/test_*.c))
LIBCOUCHE_OBJ := $(patsubst %.c,build/%.o,$(LIBCOUCHE_SRC))

# couchestorctl: tools/ctl/*.c; tools/ctl/test_*.c are its unit tests.
CTL_CFLAGS := -Iinclude/uapi -Ilib $(NL_CFLAGS)
CTL_SRC := $(filter-out tools/ctl/test_%.c,$(wildcard tools/ctl/*.c))
CTL_LIB := $(filter-out tools/ctl/main.c,$(CTL_SRC))
CTL_TESTS := $(patsubst %.c,build/%,$(wildcard tools/ctl/test_*.c))

# couchestord: daemon/*.c on libcouche; daemon/test_*.c are its unit tests.
D_PKGS := libnl-3.0 libnl-genl-3.0 json-c yaml-0.1 libmicrohttpd libcurl
D_CFLAGS := -Iinclude/uapi -Ilib $(shell pkg-config --cflags $(D_PKGS) 2>/dev/null)
D_LIBS := $(shell pkg-config --libs $(D_PKGS) 2>/dev/null) -lm -lpthread
D_SRC := $(filter-out daemon/test_%.c,$(wildcard daemon/*.c))
D_LIB := $(filter-out daemon/main.c,$(D_SRC))
D_TESTS := $(patsubst %.c,build/%,$(wildcard daemon/test_*.c))

.PHONY: all module tools clean check demo bench kunit selftests deps install sparse checkpatch unit fuzz image image-test deploy-test all-in-one

all: module tools

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools: $(TOOLS)

tools/%: tools/%.c
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

build/lib/couche/%.o: lib/couche/%.c $(wildcard lib/couche/*.h) include/uapi/linux/dm-couche.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iinclude/uapi $(NL_CFLAGS) -c -o $@ $<

$(LIBCOUCHE): $(LIBCOUCHE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

build/lib/couche/test_%: lib/couche/test_%.c $(LIBCOUCHE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iinclude/uapi -Ilib $(NL_CFLAGS) -o $@ $< $(LIBCOUCHE) $(LDFLAGS) $(NL_LIBS)

tools/couchestorctl: $(CTL_SRC) $(wildcard tools/ctl/*.h) $(LIBCOUCHE)
	$(CC) $(CFLAGS) $(CTL_CFLAGS) -o $@ $(CTL_SRC) $(LIBCOUCHE) $(LDFLAGS) $(NL_LIBS)

daemon/couchestord: $(D_SRC) $(wildcard daemon/*.h) $(LIBCOUCHE)
	$(CC) $(CFLAGS) $(D_CFLAGS) -o $@ $(D_SRC) $(LIBCOUCHE) $(LDFLAGS) $(D_LIBS)

build/daemon/test_%: daemon/test_%.c $(D_LIB) $(wildcard daemon/*.h) $(LIBCOUCHE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(D_CFLAGS) -o $@ $< $(D_LIB) $(LIBCOUCHE) $(LDFLAGS) $(D_LIBS)

tools/nlfuzz: tools/nlfuzz.c include/uapi/linux/dm-couche.h
	$(CC) $(CFLAGS) -Iinclude/uapi $(NL_CFLAGS) -o $@ $< $(LDFLAGS) $(NL_LIBS)

build/tools/ctl/test_%: tools/ctl/test_%.c $(CTL_LIB) $(wildcard tools/ctl/*.h) $(LIBCOUCHE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CTL_CFLAGS) -o $@ $< $(CTL_LIB) $(LIBCOUCHE) $(LDFLAGS) $(NL_LIBS)

# Userspace unit tests (no VM, no root).
unit: $(LIBCOUCHE_TESTS) $(CTL_TESTS) $(D_TESTS)
	@for t in $(LIBCOUCHE_TESTS) $(CTL_TESTS) $(D_TESTS); do echo "== $$t"; $$t || exit 1; done

deps:
	tools/deps.sh

check: deps
	$(MAKE) all
	tools/check.sh

kunit: deps
	tools/kunit.sh

# libFuzzer targets (fuzz/), FUZZ_SECONDS each (default 20).
fuzz: deps
	tools/fuzz.sh

selftests: deps
	$(MAKE) all
	tools/vm/run-tests.sh $(TESTS)

demo: deps
	$(MAKE) all
	tools/vm/demo.sh

bench: deps
	$(MAKE) all
	tools/bench/run.sh $(BENCH)

# The container image (Containerfile, on a debootstrap base) and its test.
image: deps
	tools/image/build.sh

image-test: deps
	tools/image/test.sh

# deploy/: manifests, CRDs, alerts and dashboard checked; all-in-one.yaml made.
deploy-test: deps tools
	tools/deploy/run-tests.sh

all-in-one:
	tools/deploy/all-in-one.sh

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER)

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

# checkpatch.pl from the linux-source-6.1 tree that make kunit unpacks.
CHECKPATCH ?= $(or $(KUNIT_CACHE),/var/cache/couchestor)/linux-source-6.1/scripts/checkpatch.pl
checkpatch:
	@test -x $(CHECKPATCH) || { echo "no $(CHECKPATCH): run make kunit once (it unpacks linux-source-6.1)"; exit 1; }
	$(CHECKPATCH) --strict --no-tree -q -f $(filter-out %.mod.c,$(wildcard kernel/*.c)) kernel/*.h include/uapi/linux/dm-couche.h

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	rm -f $(TOOLS)
	rm -rf build
