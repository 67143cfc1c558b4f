# Thin front door over scripts/ and CMake; see README "Quick start".
.PHONY: demo test test-sanitize build install bench clean

demo:
	scripts/demo

test:
	scripts/test

build:
	scripts/setup

test-sanitize:
	scripts/test-sanitize

install: build
	scripts/install-plugin

bench: build
	bench/run-benchmarks

clean:
	rm -rf build out
