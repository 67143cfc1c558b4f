# Thin front door over scripts/ and CMake; see README "Quick start".
.PHONY: demo test build install bench clean

demo:
	scripts/demo

test:
	scripts/test

build:
	scripts/setup

install: build
	scripts/install-plugin

bench: build
	bench/run-benchmarks

clean:
	rm -rf build out
