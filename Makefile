# flowtap: `make demo` runs the main job end to end, `make test` runs every test.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
CMAKE_ARGS ?=
JOBS       ?= $(shell nproc)
CTEST_ARGS ?=
FUZZ_SECONDS ?= 60

ifeq ($(CI),true)
CMAKE_ARGS += -DFT_WERROR=ON
endif

.PHONY: all deps test asan tsan bench demo demo-read install clean format fuzz

all:
	cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@scripts/deps.sh

test: deps all
	cd $(BUILD) && ctest --output-on-failure -j 2 $(CTEST_ARGS)

asan: deps
	CC=clang cmake -S . -B $(ASAN_BUILD) -DFT_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS) >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j 2 $(CTEST_ARGS)

tsan: deps
	CC=clang cmake -S . -B $(TSAN_BUILD) -DFT_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS) >/dev/null
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -L threads $(CTEST_ARGS)

bench: deps
	cmake -S . -B $(BUILD)-bench -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
	cmake --build $(BUILD)-bench -j $(JOBS)
	FT_BUILD=$(abspath $(BUILD)-bench) bench/run.sh

demo: deps all
	FT_BUILD=$(abspath $(BUILD)) scripts/demo-tunnel.sh

# The offline reader on a capture the project generates (no root needed).
demo-read: deps all
	FT_BUILD=$(abspath $(BUILD)) scripts/demo.sh

install: all
	cmake --install $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(BUILD)-bench
