# minipbx — see README.md. `make run` and `make test` are the two commands.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X minipbx/internal/version.Version=$(VERSION)
DATA      ?= ./data
BIN       := bin

.PHONY: run build test test-tools test-tools-missing unit selftest-arm firmware bench figures load soak lint clean prompts

run: build
	$(BIN)/pbxd -data $(DATA) -board sim

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

# The whole suite: unit and whole-box tests, SIP tests against SIPp, web UI
# tests in headless Chromium, the DTMF receiver and the fax engine against
# spandsp's and the echo canceller beside speexdsp's (-tags spandsp: cgo,
# libspandsp, libspeexdsp), the armv7 self-test under qemu-user, and the
# armv7 image booted under qemu-system-arm until pbxd answers SIP. The
# whole-box tests run real-time calls (SIPp at 10 calls/s among them, and
# spandsp's fax terminal sending to the box), so they run on their own after
# the CPU-heavy DSP and driver suites, in two halves side by side
# (scripts/boxtests.sh: they mostly wait, 5 min of CPU in 17 of wall time).
test: test-tools lint
	MINIPBX_REQUIRE_TOOLS=1 $(GO) test -count=1 -timeout 20m -tags spandsp $$($(GO) list ./... | grep -v '/internal/box$$')
	GO=$(GO) MINIPBX_REQUIRE_TOOLS=1 scripts/boxtests.sh
	$(MAKE) selftest-arm
	$(MAKE) qemu-boot

# Installs the external programs the tests drive, when missing (needs root).
# The one list of them is TOOL_LIST (command and Debian package a line); the
# tests' testutil.Tool refuses any command not in it, so the two cannot drift.
TOOL_LIST := internal/testutil/tools.txt
# A shell pipeline: the Debian package of every listed tool not on PATH, once each.
# A "lib:NAME" entry is a C library the cgo reference tests link (its
# header NAME.h under INCLUDEDIR or its multiarch directory); any other
# entry is a command on PATH.
INCLUDEDIR ?= /usr/include
MISSING_TOOLS = sed 's/\#.*//' $(TOOL_LIST) | while read -r cmd pkg; do \
  case "$$cmd" in "") ;; lib:*) n=$${cmd\#lib:}; found=; \
    for h in $(INCLUDEDIR)/$$n.h $(INCLUDEDIR)/*/$$n.h; do [ -e "$$h" ] && found=1; done; \
    [ -n "$$found" ] || echo "$$pkg";; \
  *) command -v "$$cmd" >/dev/null || echo "$$pkg";; esac; done | sort -u
test-tools:
	@missing=$$($(MISSING_TOOLS) | tr '\n' ' '); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing test tools: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "missing test tools: $$missing(run make test as root, or install them)"; exit 1; fi; \
	fi

# Prints the Debian packages test-tools would install.
test-tools-missing:
	@$(MISSING_TOOLS)

# Builds every command for armv7 (so a 32-bit-only compile error fails the
# suite) and runs pbxd's self-test under qemu.
selftest-arm:
	mkdir -p $(BIN)/armv7
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/armv7/ ./cmd/...
	cp $(BIN)/armv7/pbxd $(BIN)/pbxd-armv7
	qemu-arm-static $(BIN)/pbxd-armv7 -selftest

firmware:
	mkdir -p $(BIN)/firmware
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/firmware/pbxd-armv7 ./cmd/pbxd
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/firmware/pbxctl-armv7 ./cmd/pbxctl
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/firmware/pbxd-arm64 ./cmd/pbxd
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/firmware/pbxctl-arm64 ./cmd/pbxctl
	ls -l $(BIN)/firmware

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Binary sizes and idle memory (the README's box-level figures).
figures:
	GO=$(GO) scripts/figures.sh

# Capacity figures (README, "Capacity"), not part of make test: 500
# concurrent calls relayed and then transcoded with RTP both ways, then
# 500 authenticated call setups per second from 16 addresses for 10
# minutes, the box on one CPU and SIPp on the other (scripts/load.sh).
load:
	GO=$(GO) scripts/load.sh capacity
	LOAD_SECONDS=$${LOAD_SECONDS:-600} GO=$(GO) scripts/load.sh setups

# 30 minutes at 50 calls/s, each call with RTP both ways: no call may fail,
# goroutines and memory must stay flat (README, "Soak"). Not in CI.
soak:
	GO=$(GO) scripts/load.sh soak

# Regenerates the built-in voice prompts (telephony/prompts/LANG/*.wav, for
# en, ru, hy, ky and it) from their scripts, LANG/texts.txt, with espeak-ng
# and sox (LANG_PROMPTS=ru,it remakes some only). The WAV files are
# committed, so building needs neither; the output is deterministic, so an
# unchanged script changes no file.
prompts:
	$(GO) run ./telephony/prompts/internal/gen -root telephony/prompts $(if $(LANG_PROMPTS),-lang $(LANG_PROMPTS))

lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	@$(GO) mod tidy -diff >/dev/null || { echo "go mod tidy would change go.mod or go.sum:"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0 ./...

clean:
	rm -rf $(BIN)

# --- Firmware image and signed update bundles (rootfs/, upgrade/) ---------
# make image                 read-only squashfs root file systems, armv7 and arm64
# make bundle KEY=file       the images signed as update bundles (.mpxb)
# Reproducible: SOURCE_DATE_EPOCH is the last commit's time; IMAGE_VERSION a
# semantic version from the tags (scripts/version.sh), so bundles order.
IMAGE_VERSION ?= $(shell scripts/version.sh)
IMAGE_EPOCH   ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
IMAGE_DIR     := $(BIN)/image
IMAGE_BOARDS  := armv7:minipbx-ref-armv7 arm64:minipbx-ref-arm64

.PHONY: image bundle

image:
	@for ab in $(IMAGE_BOARDS); do \
	  VERSION=$(IMAGE_VERSION) SOURCE_DATE_EPOCH=$(IMAGE_EPOCH) GO=$(GO) \
	    scripts/mkimage.sh $${ab%%:*} $${ab#*:} $(IMAGE_DIR)/$${ab#*:}.squashfs || exit 1; \
	done

bundle: image
	@test -n "$(KEY)" || { echo "usage: make bundle KEY=path/to/signing.key (rootfs/keys/TEST-ONLY-signing.key for tests only)"; exit 2; }
	@for ab in $(IMAGE_BOARDS); do b=$${ab#*:}; \
	  SOURCE_DATE_EPOCH=$(IMAGE_EPOCH) $(GO) run ./upgrade/mkbundle -key $(KEY) -version $(IMAGE_VERSION) -board $$b \
	    -image $(IMAGE_DIR)/$$b.squashfs -o $(IMAGE_DIR)/$$b-$(IMAGE_VERSION).mpxb || exit 1; \
	  echo "$(IMAGE_DIR)/$$b-$(IMAGE_VERSION).mpxb"; \
	done

# Boots the armv7 image under qemu-system-arm (virt machine, Debian's armmp
# kernel fetched and extracted, not installed) until pbxd answers SIP OPTIONS.
QEMU_KERNEL ?= $(BIN)/qemu-kernel
.PHONY: qemu-boot
qemu-boot: test-tools
	scripts/qemu-kernel.sh $(QEMU_KERNEL)
	MINIPBX_QEMU_KERNEL=$(abspath $(QEMU_KERNEL)) MINIPBX_REQUIRE_TOOLS=1 $(GO) test -count=1 -run TestQEMUBoot -v ./rootfs

# The whole DSP corpora (75 min of espeak-ng speech, 24 min of generated
# music, and a held-out corpus of 24 and 30 min) for the DTMF receiver's
# talk-off and talk-down tests, and the
# whole G.168 grid for the line echo canceller (384 conditions, the
# time-domain canceller it replaced beside it); `make test` runs subsets
# of the same generators. 7–16 minutes on 2 cores, by their load.
.PHONY: dsp-full
dsp-full:
	MINIPBX_REQUIRE_TOOLS=1 $(GO) test -tags dspfull -count=1 -timeout 60m -run 'TalkOff|TalkDown|G168' -v ./dsp/
