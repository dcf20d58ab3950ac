# bphost build, test and tooling. `make test` is the one test command; CI
# (.ci/run) calls it on a fresh machine.

SHELL    := /bin/bash
GO        ?= go
BIN       := bin
PLUGINS   := $(patsubst plugins/%/main.go,%,$(wildcard plugins/*/main.go))
FUZZTIME  ?= 30s
# The smoke run counts executions: a duration-based -fuzztime can fail with a
# bare "context deadline exceeded" in Go 1.26 (golang/go#75804, fixed in 1.27).
SMOKETIME ?= 2000x
BENCHTIME ?= 1s

SOAK      ?= 10m

.PHONY: all build test vet unit crossbuild generate generate-check demo demo-ble panel-screenshot bench bench-e2e fuzz fuzz-smoke soak clean

all: build

## build: bphost into bin/, every plugin into bin/plugins/
build:
	@mkdir -p $(BIN)/plugins
	@if [ -f cmd/bphost/main.go ]; then $(GO) build -o $(BIN)/bphost ./cmd/bphost; fi
	@for p in $(PLUGINS); do \
		echo "build bin/plugins/bphost-connector-$$p"; \
		$(GO) build -o $(BIN)/plugins/bphost-connector-$$p ./plugins/$$p || exit 1; \
	done

## test: vet, race-enabled tests with a summary, cross builds, fuzz smoke, generated code check
test: vet unit crossbuild fuzz-smoke generate-check

vet:
	$(GO) vet ./...

unit:
	@set -o pipefail; $(GO) test -race -count=1 -json -timeout 20m ./... | $(GO) run ./internal/testsummary

crossbuild:
	GOOS=windows GOARCH=amd64 $(GO) build ./...
	GOOS=darwin GOARCH=arm64 $(GO) build ./...

## soak: $(SOAK) of sessions from our Go client, the npm clients and bphost through each plugin, with clients, plugins and hosts killed and frozen at random (a 30 s smoke of it runs in test)
soak:
	SOAK=$(SOAK) $(GO) test -count=1 -timeout 3h -run '^TestSoak$$' -v ./internal/soak

## generate: regenerate the gRPC code of pluginapi with pinned tools, and core/protocol's message methods
generate:
	sh pluginapi/generate.sh
	$(GO) generate ./core/protocol

## generate-check: fail if committed generated code is stale
generate-check:
	sh pluginapi/generate.sh --check
	@tmp=$$(mktemp -d) && cp core/protocol/messages_gen.go $$tmp/ && $(GO) generate ./core/protocol && \
	if ! cmp -s $$tmp/messages_gen.go core/protocol/messages_gen.go; then \
		cp $$tmp/messages_gen.go core/protocol/messages_gen.go; rm -rf $$tmp; \
		echo "core/protocol/messages_gen.go is stale: run make generate"; exit 1; fi; rm -rf $$tmp

## demo: the whole path on the embedded default, with simulated devices
demo: build
	@if [ -x $(BIN)/bphost ]; then $(BIN)/bphost demo; \
	else echo "make demo: cmd/bphost does not exist yet (issue 6); nothing to run"; exit 1; fi

## demo-ble: a Bluetooth LE toy over the real BlueZ D-Bus path, against a stand-in (needs dbus-daemon)
demo-ble: build
	@$(GO) run ./internal/bledemo -bin $(BIN)

## panel-screenshot: docs/panel.png and docs/panel-phone.png, from the control panel's browser test (needs chromium)
panel-screenshot:
	@command -v chromium >/dev/null || { echo "make panel-screenshot needs chromium (apt-get install chromium)"; exit 1; }
	BPHOST_PANEL_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -run '^TestPanelInBrowser$$' -v ./core/httpapi

## bench: every benchmark, with allocations
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

## bench-e2e: Vibrate -> Ok through every path (floors and the npm client included), one table; BENCHE2E_FLAGS adds flags
PEERS ?= interop/peers
bench-e2e: build
	@$(GO) build -o $(BIN)/plugins/bphost-connector-echo ./internal/benche2e/echoplugin
	@$(GO) build -o $(BIN)/benche2e ./internal/benche2e
	@if [ ! -d $(PEERS)/node_modules/buttplug ]; then (cd $(PEERS) && npm ci --no-audit --no-fund); fi
	@$(BIN)/benche2e -bin $(BIN) -peers $(PEERS) $(BENCHE2E_FLAGS)

## fuzz: every fuzz target for FUZZTIME each (default 30s)
fuzz:
	@$(MAKE) --no-print-directory fuzz-run FT=$(FUZZTIME)

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz-run FT=$(SMOKETIME)

fuzz-run:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f for $(FT)"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FT) $$pkg >/tmp/bphost-fuzz.log 2>&1 || { cat /tmp/bphost-fuzz.log; exit 1; }; \
		done; \
	done

clean:
	rm -rf $(BIN)
