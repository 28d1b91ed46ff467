# crnn-cluster: the two commands a fresh Debian machine needs are `make demo` and `make test`.
# Both first install any missing system packages (scripts/bootstrap, idempotent).
SHELL := /bin/bash
SWIFT ?= swift
RELEASE := .build/release

.PHONY: bootstrap build release test demo bench embed-sql clean

bootstrap:
	@bash scripts/bootstrap

embed-sql:
	@bash scripts/embed-sql

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release

test:
	@bash scripts/bootstrap --tests
	@bash scripts/test

demo: bootstrap release
	@bash scripts/demo

bench: bootstrap release
	@bash scripts/bench

clean:
	rm -rf .build
