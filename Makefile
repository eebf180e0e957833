# The two commands a newcomer needs (README.md): `make demo` and `make test`.
SHELL := /bin/bash
TARGET_TRIPLE := x86_64-unknown-linux-gnu
STATIC_BINARY := target/$(TARGET_TRIPLE)/release/strata
FRONTEND_IMAGE ?= strata:dev
# The one place the version lives is Cargo.toml.
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -1)

.PHONY: testbed frontend frontend-binary demo demo-setup test test-floor unit fuzz bench release

testbed:
	scripts/testbed up

# A static binary built on the host, placed into Dockerfile.frontend's final stage.
frontend-binary:
	RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target $(TARGET_TRIPLE)

frontend: frontend-binary
	rm -rf target/frontend-context && mkdir -p target/frontend-context
	cp $(STATIC_BINARY) target/frontend-context/strata
	docker build -q -f Dockerfile.frontend --build-context binary=target/frontend-context \
		--build-arg VERSION=$(VERSION) --build-arg BUILDER=scratch -t $(FRONTEND_IMAGE) target/frontend-context

# The demo's setup: only the stand-ins it builds with, while cargo compiles the frontend (the
# testbed waits on downloads and dpkg, cargo on the CPU). Not niced: with the goproxy made on the
# host, cargo is as long as the testbed.
demo:
	@scripts/timed setup $(MAKE) --no-print-directory -j2 demo-setup frontend-binary
	@scripts/timed frontend $(MAKE) --no-print-directory frontend
	@scripts/timed demo scripts/demo

demo-setup:
	@scripts/testbed up demo

# Everything, engine tests included, on the current engine; then the engine tests of every
# language and engine-facing feature again on the floor engine (Docker 26.1). Each phase prints
# its wall time.
test:
	@scripts/timed testbed scripts/testbed up
	@scripts/timed frontend $(MAKE) --no-print-directory frontend
	@scripts/timed tests cargo test --locked
	@scripts/timed floor scripts/floor-tests

# Only the floor engine's part, after `make test` (or testbed + frontend) has run once.
test-floor:
	@scripts/timed frontend $(MAKE) --no-print-directory frontend
	@scripts/timed floor scripts/floor-tests

# Only the tests that need no engine, for quick iteration.
unit:
	STRATA_SKIP_ENGINE_TESTS=1 cargo test --locked

# Coverage-guided fuzzing of spec parsing, planning and lowering (needs the nightly toolchain
# and `cargo install cargo-fuzz`); the corpus in fuzz/corpus grows with every run.
FUZZ_SECONDS ?= 600
fuzz:
	cargo +nightly fuzz run spec_to_llb -- -max_total_time=$(FUZZ_SECONDS)

# strata against hand-written and naive Dockerfiles for every example, in one run on one engine
# (prunes the engine's build cache for the cold scenarios); writes bench/results/ and README's
# table. BENCH_RUNS=N repeats the timed cells.
bench:
	@scripts/timed testbed scripts/testbed up
	@scripts/timed frontend $(MAKE) --no-print-directory frontend
	@scripts/timed bench bench/run

# A release, as .github/workflows/release.yml makes it: the frontend image for linux/amd64 and
# linux/arm64 in one index, pushed to $(REGISTRY)/strata as :x.y.z, :x.y and :x, and the static
# CLI binaries with their checksums in dist/ (scripts/release). For example
# `make release REGISTRY=127.0.0.1:5000/try` against the testbed's registry.
release:
	@test -n "$(REGISTRY)" || { echo 'make release needs REGISTRY=host/path (the image is $$REGISTRY/strata)' >&2; exit 2; }
	@scripts/timed release scripts/release $(REGISTRY)/strata
