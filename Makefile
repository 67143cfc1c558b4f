# Thin front door over scripts/ and CMake; see README "Quick start".
.PHONY: demo test test-sanitize test-package package build install bench clean

demo:
	scripts/demo

test:
	scripts/test

build:
	scripts/setup

test-sanitize:
	scripts/test-sanitize

package:
	scripts/package

test-package:
	scripts/test-package

install: build
	scripts/install-plugin

bench: build
	bench/run-benchmarks

clean:
	rm -rf build out
