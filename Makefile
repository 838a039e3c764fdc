# SPDX-License-Identifier: BSD-2-Clause
# flowtap: `make demo` runs the main job end to end, `make test` runs every test.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
CMAKE_ARGS ?=
JOBS       ?= $(shell nproc)
CTEST_ARGS ?=
MAKEFLAGS += --no-print-directory
FUZZ_SECONDS ?= 60

ifeq ($(CI),true)
CMAKE_ARGS += -DFT_WERROR=ON
endif

.PHONY: all deps test asan tsan bench demo demo-read demo-clickhouse install clean format fuzz

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

# OpenVPN 2.7.6 with flowtap (integrations/openvpn), built from
# ../shared/third_party into $(BUILD)/openvpn-2.7.6; two peers in namespaces.
.PHONY: demo-openvpn
demo-openvpn: deps all
	FT_BUILD=$(abspath $(BUILD)) scripts/demo-openvpn.sh

# The offline reader on a capture the project generates (no root needed).
demo-read: deps all
	FT_BUILD=$(abspath $(BUILD)) scripts/demo.sh

# Flow-log records into a private ClickHouse on loopback (no root needed).
demo-clickhouse: deps all
	FT_BUILD=$(abspath $(BUILD)) scripts/demo-clickhouse.sh

install: all
	cmake --install $(BUILD)

# Debian packages (libflowtap0, libflowtap-dev, flowtap, flowtapd) in
# $(BUILD)/deb, built from a copy of the tree so nothing lands beside it.
DEB_DIR ?= $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	git ls-files -co --exclude-standard | grep -v '^$(BUILD)/' | tar -cf - -T - | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage -us -uc -b
	@ls -1 $(DEB_DIR)/*.deb

# make fuzz FUZZ_SECONDS=N: build the libFuzzer targets with clang in
# $(FUZZ_BUILD), seed their corpora (fuzz/seeds.sh) and run each for N s.
FUZZ_BUILD ?= build-fuzz
FUZZ_TARGETS ?= text reader user0 psample api_query config flows wireguard anon bpf
fuzz:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DFT_FUZZ=ON -DBUILD_TESTING=OFF $(CMAKE_ARGS) >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) $(addprefix --target fuzz_,$(FUZZ_TARGETS))
	FT_BUILD=$(abspath $(BUILD)) fuzz/seeds.sh $(FUZZ_BUILD)/corpus
	@mkdir -p $(FUZZ_BUILD)/artifacts
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-rss_limit_mb=1024 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- $(FUZZ_BUILD)/corpus/$$t \
			>$(FUZZ_BUILD)/fuzz_$$t.log 2>&1 || { tail -40 $(FUZZ_BUILD)/fuzz_$$t.log; exit 1; }; \
		grep -E '^(stat::number_of_executed_units|Done)' $(FUZZ_BUILD)/fuzz_$$t.log | tr '\n' ' '; echo; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(BUILD)-bench $(FUZZ_BUILD)
