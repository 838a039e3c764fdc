# SPDX-License-Identifier: BSD-2-Clause
# common.bash - the reporting every e2e test library shares (sourced).
# Exit 77 is ctest's SKIP_RETURN_CODE for these tests.

skip() {
	echo "SKIP: $*"
	exit 77
}

# fail MESSAGE: the test fails; a library may define fail_details to add
# what helps (a daemon's log) on stderr.
fail() {
	echo "FAIL: $*" >&2
	declare -F fail_details >/dev/null && fail_details >&2
	exit 1
}

ok() {
	echo "ok - $*"
}
