# rolloutlab: does a Kubernetes rollout lose or delay connections on this kernel?
#   make e2e KERNEL=6.1      the main job: boot the kernel, run the specs
#   make test                unit tests + one real boot of the default kernel
# Everything else is installed on demand (QEMU via apt, Go modules, kernels, image).

KERNEL ?=
PATCHES ?=
ACCEL  ?= auto
GO     ?= go
GINKGO_FLAGS ?=
export KERNEL PATCHES ACCEL

BIN := bin/rolloutlab

# Ginkgo's JUnit reports for CI. Absolute: go test runs the suite in e2e/.
JUNIT_DIR := $(CURDIR)/out/junit

.PHONY: all deps e2e test unit smoke shell exec bench-boot bench-step bench-load bench-build bench-controlplane kernels image-lock clean FORCE matrix compare report-png engine-check doctor-check kind-check kind-e2e bench-kind patch-check bisect-check

all: test

# Host tools. QEMU comes from Debian/Ubuntu packages; as root we install it,
# otherwise we stop with the exact command to run.
deps:
	@command -v $(GO) >/dev/null || { echo "Go is missing: install Go >= 1.26 (https://go.dev/dl/)"; exit 1; }
	@command -v qemu-system-x86_64 >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> installing QEMU (qemu-system-x86)"; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null || \
	    { sleep 2; apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null; }; \
	  else \
	    echo "QEMU is missing: run  sudo apt-get install -y --no-install-recommends qemu-system-x86"; exit 1; \
	  fi; }
	@$(GO) mod download

$(BIN): FORCE
	@$(GO) build -o $(BIN) ./harness/cmd/rolloutlab

# The main job. The kernel name is checked first (no download for a typo),
# then kernel + image are prepared with progress, then the Ginkgo suite runs.
e2e: deps $(BIN)
	@$(BIN) check-kernel
	@$(BIN) prepare
	@mkdir -p $(JUNIT_DIR)
	$(GO) test ./e2e -count=1 -timeout 85m -v -ginkgo.v -ginkgo.timeout=80m -ginkgo.junit-report=$(JUNIT_DIR)/e2e.xml $(GINKGO_FLAGS)

# Unit tests of the pure parts, then real boots of the default kernel: the
# smoke specs and a short rollout whose control cell must show the bug.
TEST_CELLS ?= ipvs:0,controls
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 . ./enum/... ./scenario/... ./wire/... ./harness/... ./vmimages/... ./kernels/...
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
	@mkdir -p $(JUNIT_DIR)
	CELLS='$(TEST_CELLS)' ROLLOUTLAB_REQUIRE_MEASURED=1 $(GO) test ./e2e -count=1 -timeout 60m -v -ginkgo.v -ginkgo.label-filter='smoke || rollout' -ginkgo.junit-report=$(JUNIT_DIR)/test.xml
	$(MAKE) --no-print-directory doctor-check DOCTOR_KERNEL=$(or $(KERNEL),6.1) DOCTOR_REUSE=1 DOCTOR_WANT=not-affected

# rolloutlab doctor --probe inside a guest acting as the node: the answer it
# must give there. make doctor-check DOCTOR_KERNEL=5.10-revert-C DOCTOR_REUSE=0 DOCTOR_KP=v1.21.8 DOCTOR_WANT=affected
DOCTOR_KERNEL ?= 6.1
DOCTOR_REUSE  ?= 1
DOCTOR_KP     ?= v1.34.2
DOCTOR_WANT   ?= not-affected
doctor-check: deps
	ROLLOUTLAB_DOCTOR_GUEST=1 KERNEL='$(DOCTOR_KERNEL)' DOCTOR_REUSE='$(DOCTOR_REUSE)' DOCTOR_KP='$(DOCTOR_KP)' DOCTOR_WANT='$(DOCTOR_WANT)' \
	  $(GO) test -count=1 -run TestProbeInGuest -v -timeout 30m ./harness/doctor/probe/

shell: deps $(BIN)
	$(BIN) shell

# make exec KERNEL=5.10 CMD='ipvsadm -Ln'
exec: deps $(BIN)
	@test -n "$(CMD)" || { echo "usage: make exec KERNEL=<k> CMD='<command>'"; exit 2; }
	@$(BIN) exec -- '$(CMD)'

bench-boot: deps $(BIN)
	$(BIN) bench-boot --boots 5

# A bisection step's overhead: scenario wall time on a prepared kernel minus
# the cell's load span (KERNEL=6.1, one ipvs:1 cell, median of 3).
bench-step: deps $(BIN)
	flock /tmp/rolloutlab-guest.lock $(BIN) bench-step --runs 3

# Time to a ready control plane + kube-proxy in the guest (the kube-proxy tier's start).
bench-controlplane: deps $(BIN)
	$(BIN) bench-controlplane --runs 3 $(if $(K8S),--k8s $(K8S))

# Time to a Ready kind cluster and per rollout cell in the guest (one kind cell).
bench-kind: deps $(BIN)
	flock /tmp/rolloutlab-guest.lock $(BIN) bench-kind

# Cold and cached build times of a control kernel (KERNEL=5.10-revert-ABC by default).
bench-build: deps $(BIN)
	$(BIN) bench-build -k $(or $(KERNEL),5.10-revert-ABC)

# Connections/s of the scenario's load generator beside ab, same guest, same Service.
bench-load: deps $(BIN)
	$(BIN) bench-load

# Boot onto the engine root disk, start dockerd, load and run an image the
# harness built; prints each step with its duration, fails on any error.
engine-check: deps $(BIN)
	flock /tmp/rolloutlab-guest.lock $(BIN) engine-check

# A real single-node kind cluster in the guest, offline (MODE=ipvs|iptables|nftables).
MODE ?= ipvs
kind-check: deps $(BIN)
	flock /tmp/rolloutlab-guest.lock $(BIN) kind-check --proxy-mode $(MODE)

# The kind tier's spec alone: a real kind cluster per cell in the guest,
# kubectl rollout restart under load (tens of minutes under TCG).
#   make kind-e2e KERNEL=5.10-revert-C   [KIND_CELLS='ipvs:0,iptables'] [RESULTS=results]
kind-e2e: deps $(BIN)
	@$(BIN) check-kernel
	@$(BIN) prepare
	@mkdir -p $(JUNIT_DIR)
	ROLLOUTLAB_TIER=kind ROLLOUTLAB_RESULTS='$(RESULTS)' flock /tmp/rolloutlab-guest.lock $(GO) test ./e2e -count=1 -timeout 170m -v -ginkgo.v -ginkgo.timeout=165m -ginkgo.label-filter=kind -ginkgo.junit-report=$(JUNIT_DIR)/kind.xml

# PATCHES= end to end: undo the catalog's revert of fix C on 5.10-revert-C
# (rolloutlab reverse-patch), build that kernel, and run ipvs:0 on it. The
# build must detect fix C again and the cell must come out clean (scenario
# exit 0); without the patch the same cell shows kubernetes#81775.
PATCH_CHECK_DIR := $(CURDIR)/out/patch-check
patch-check: deps $(BIN)
	@mkdir -p $(PATCH_CHECK_DIR)
	$(BIN) reverse-patch kernels/patches/linux-5.10/revert-C-ipvs-reuse-weight-zero.patch > $(PATCH_CHECK_DIR)/fix-C.patch
	flock /tmp/rolloutlab-guest.lock $(BIN) scenario -k 5.10-revert-C --patches $(PATCH_CHECK_DIR)/fix-C.patch --cells ipvs:0 --out $(PATCH_CHECK_DIR)/result
	@grep -q '"C": true' $(PATCH_CHECK_DIR)/result/result.json || { echo "patch-check: the patched build did not detect fix C"; exit 1; }
	@echo "patch-check: 5.10-revert-C + fix-C.patch: fix C detected, ipvs:0 clean"

# rolloutlab bisect end to end on a real kernel history: Debian's 5.10
# source, an unrelated commit, the commit applying the revert of fix A (the
# culprit), another unrelated one. Each step is a real build (make O=, a
# cold first build of ~13 min on 2 cores) and a real boot running ipvs:1;
# the report must name the culprit.
BISECT_CHECK_DIR := $(CURDIR)/out/bisect-check
bisect-check: deps $(BIN)
	@mkdir -p $(BISECT_CHECK_DIR)
	$(BIN) bisect-fixture --out $(BISECT_CHECK_DIR) > $(BISECT_CHECK_DIR)/fixture.out
	@cat $(BISECT_CHECK_DIR)/fixture.out
	flock /tmp/rolloutlab-guest.lock $(BIN) bisect --tree $(BISECT_CHECK_DIR)/tree --good "$$(sed -n 's/.*"good": "\([0-9a-f]*\)".*/\1/p' $(BISECT_CHECK_DIR)/fixture.out)" --bad HEAD --cells ipvs:1 --out $(BISECT_CHECK_DIR)/report
	@culprit=$$(sed -n 's/.*"culprit": "\([0-9a-f]*\)".*/\1/p' $(BISECT_CHECK_DIR)/fixture.out); \
	  grep -q "\"first_bad_commit\": \"$$culprit\"" $(BISECT_CHECK_DIR)/report/report.json || { echo "bisect-check: the report does not name $$culprit"; exit 1; }; \
	  echo "bisect-check: first bad commit $$culprit, as planted"

kernels: $(BIN)
	@$(BIN) kernels

# Refresh the pinned Debian packages of the guest image.
image-lock:
	$(GO) run ./vmimages/lockgen

clean:
	rm -rf bin

# The results matrix: boot every kernel (default: the whole catalog), write
# results/<kernel>/<run-id>/, regenerate results/matrix.md/html + charts.
#   make matrix KERNELS=6.1,6.12 REPEATS=3 PARALLEL=1
KERNELS  ?=
REPEATS  ?= 1
PARALLEL ?= 0
matrix: deps $(BIN)
	$(BIN) matrix --run --kernels '$(KERNELS)' --repeats $(REPEATS) --parallel $(PARALLEL)

# make compare A=5.10 B=6.1   (kernel names, result dirs or result.json files)
compare: $(BIN)
	@test -n "$(A)" -a -n "$(B)" || { echo "usage: make compare A=<kernel|dir> B=<kernel|dir>"; exit 2; }
	$(BIN) compare '$(A)' '$(B)'

# PNGs of results/matrix.html and every chart (results/charts/*.svg) in
# out/report-png/, rendered by headless Chromium: what a reader sees in a
# browser, and what the nightly workflow uploads. A chart's window is its
# SVG size (pt -> px); the page gets a tall window (--screenshot has no
# full-page mode). Each render gets a fresh profile.
PNG_DIR  := out/report-png
CHROMIUM ?= chromium
CHROMIUM_FLAGS := --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars
HTML_WINDOW ?= 1400,6000
report-png:
	@command -v $(CHROMIUM) >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> installing chromium"; apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: run  sudo apt-get install -y --no-install-recommends chromium"; exit 1; \
	  fi; }
	@mkdir -p $(PNG_DIR)
	@shot() { prof=$$(mktemp -d); \
	  $(CHROMIUM) $(CHROMIUM_FLAGS) --user-data-dir="$$prof" --window-size="$$3" --screenshot="$$2" "file://$$(realpath "$$1")" >/dev/null 2>&1; \
	  rc=$$?; rm -rf "$$prof"; [ $$rc = 0 ] && [ -s "$$2" ] || { echo "report-png: $$1 failed (chromium exit $$rc)"; return 1; }; }; \
	shot results/matrix.html $(PNG_DIR)/matrix.png $(HTML_WINDOW) || exit 1; \
	for f in results/charts/*.svg; do \
	  size=$$(sed -n 's/^<svg width="\([0-9.]*\)pt" height="\([0-9.]*\)pt".*/\1 \2/p' "$$f" | head -1 | \
	    awk '{printf "%d,%d", $$1*4/3+1, $$2*4/3+1}'); \
	  shot "$$f" "$(PNG_DIR)/$$(basename "$$f" .svg).png" "$${size:-1200,800}" || exit 1; \
	done; \
	echo "report-png: $$(ls $(PNG_DIR)/*.png | wc -l) PNG(s) in $(PNG_DIR)/"
