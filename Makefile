# DMARCWatch — see README.md. Every target installs what it needs on a fresh Debian machine.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin
DB ?= ./dmarcwatch.sqlite3
BIN_RELEASE := .build/release/dmarcwatch

.PHONY: all setup build release run test bench clean format

all: build

setup:
	@./scripts/setup.sh

build: setup
	swift build

release: setup
	swift build -c release --product dmarcwatch

LISTEN ?= 127.0.0.1:8080

# Build release binaries, import the bundled samples and 45 days of demo reports (dated up to
# today), make a first administrator if there is none, print the summary, then serve the UI.
run: setup
	swift build -c release --product dmarcwatch
	swift build -c release --product dmarcwatch-bench
	@rm -rf .build/demo-reports
	@.build/release/dmarcwatch-bench demo --out .build/demo-reports --days 45
	@echo "== importing samples/ and the demo reports into $(DB)"
	-$(BIN_RELEASE) --db $(DB) import samples .build/demo-reports
	@./scripts/first-admin.sh $(BIN_RELEASE) $(DB)
	@echo
	@echo "== summary"
	$(BIN_RELEASE) --db $(DB) summary
	@echo
	@echo "== open http://$(LISTEN)/ and sign in (see above); Ctrl-C stops the server"
	$(BIN_RELEASE) --db $(DB) serve --listen $(LISTEN)

# Build everything (the CLI tests run the built binary), then run every test.
test: setup
	swift build
	swift test

# Synthetic reports (100k and 1M records; plain, gzip, zip): parse and parse+store rates,
# peak memory, and xmllint --stream as the floor. Data goes to bench-data/ (not committed).
bench: setup
	swift build -c release --product dmarcwatch
	swift build -c release --product dmarcwatch-bench
	./scripts/bench.sh

format:
	swift format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build bench-data
