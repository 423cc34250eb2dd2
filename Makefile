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

# Build a release binary, import the bundled sample reports and print the summary.
run: release
	@echo "== importing samples/ into $(DB)"
	-$(BIN_RELEASE) --db $(DB) import samples
	@echo
	@echo "== summary"
	$(BIN_RELEASE) --db $(DB) summary

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
