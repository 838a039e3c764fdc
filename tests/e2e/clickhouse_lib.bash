# SPDX-License-Identifier: BSD-2-Clause
# clickhouse_lib.bash - a private clickhouse-server for the clickhouse_*
# tests, the demo and the benchmark (sourced, not a test itself): its own
# minimal config, data under a temp dir, HTTP and native ports on loopback
# chosen free at setup, started as the calling user (root works: the server
# only refuses to run as root when told to drop to another user).
#
#   ch_require                  skip (exit 77) when clickhouse-server is absent
#   ch_setup DIR                write the config for a server living in DIR
#   ch_start / ch_stop / ch_kill
#   ch_query SQL                run SQL over HTTP, print the answer (TSV)
#   ch_schema FILE              run the CREATE statements of FILE
#   ch_insert_url TABLE         the URL the HTTP sink posts records to
#
# CH_NETNS=NS runs the server (and the queries) in network namespace NS;
# CH_HOST=ADDR makes it listen on ADDR too and accept clients of ADDR/24.
. "$(dirname "${BASH_SOURCE[0]}")/common.bash"

CH_DIR=
CH_PID=
CH_HTTP=
CH_NETNS=${CH_NETNS:-}
CH_HOST=${CH_HOST:-}

ch_exec() {
	if [ -n "$CH_NETNS" ]; then ip netns exec "$CH_NETNS" "$@"; else "$@"; fi
}

ch_require() {
	command -v clickhouse-server >/dev/null || skip "clickhouse-server is not installed"
	command -v curl >/dev/null || skip "curl is not installed"
}

ch_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

ch_setup() {
	CH_DIR=$1
	mkdir -p "$CH_DIR/data"
	CH_HTTP=$(ch_free_port)
	local tcp
	tcp=$(ch_free_port)
	cat >"$CH_DIR/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$CH_DIR/server.log</log>
    <errorlog>$CH_DIR/server.err.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>${CH_HOST:+
  <listen_host>$CH_HOST</listen_host>}
  <http_port>$CH_HTTP</http_port>
  <tcp_port>$tcp</tcp_port>
  <path>$CH_DIR/data/</path>
  <tmp_path>$CH_DIR/data/tmp/</tmp_path>
  <user_files_path>$CH_DIR/data/user_files/</user_files_path>
  <format_schema_path>$CH_DIR/data/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
XML
	cat >"$CH_DIR/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip>${CH_HOST:+<ip>$CH_HOST/24</ip>}</networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
XML
}

# ch_start: start the server (same config and data as before, if any) and
# wait until it answers (about 1.5 s on an idle machine).
ch_start() {
	# Not through ch_exec: $! must be the server itself (ip netns exec
	# execs it), or ch_kill would kill a subshell and leave the server.
	if [ -n "$CH_NETNS" ]; then
		ip netns exec "$CH_NETNS" clickhouse-server --config-file="$CH_DIR/config.xml" \
			>"$CH_DIR/stdout" 2>&1 &
	else
		clickhouse-server --config-file="$CH_DIR/config.xml" >"$CH_DIR/stdout" 2>&1 &
	fi
	CH_PID=$!
	for _ in $(seq 300); do
		ch_exec curl -sf "http://127.0.0.1:$CH_HTTP/ping" >/dev/null 2>&1 && return 0
		kill -0 "$CH_PID" 2>/dev/null ||
			fail "clickhouse-server exited at start: $(tail -5 "$CH_DIR/server.err.log" "$CH_DIR/stdout" 2>/dev/null)"
		sleep 0.1
	done
	fail "clickhouse-server did not answer on port $CH_HTTP within 30 s"
}

ch_stop() {
	[ -n "$CH_PID" ] || return 0
	kill "$CH_PID" 2>/dev/null
	for _ in $(seq 200); do kill -0 "$CH_PID" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$CH_PID" 2>/dev/null
	wait "$CH_PID" 2>/dev/null || true
	CH_PID=
}

ch_kill() {
	[ -n "$CH_PID" ] || return 0
	kill -9 "$CH_PID" 2>/dev/null
	wait "$CH_PID" 2>/dev/null || true
	CH_PID=
}

ch_query() {
	ch_exec curl -sS --fail-with-body "http://127.0.0.1:$CH_HTTP/" --data-binary "$1" 2>&1 ||
		{ echo "query failed: $1" >&2; return 1; }
}

# ch_schema FILE: the CREATE statements of FILE (comments dropped, split at
# semicolons), one request each.
ch_schema() {
	python3 - "$1" <<'PY' | while IFS= read -r -d '' stmt; do ch_query "$stmt" >/dev/null || return 1; done
import re, sys
text = "\n".join(l.split("--", 1)[0] for l in open(sys.argv[1]))
for s in text.split(";"):
    if re.match(r"\s*CREATE\b", s, re.I):
        sys.stdout.write(s.strip() + "\0")
PY
}

# ch_selects FILE: the SELECT statements of FILE, NUL-separated, each
# preceded by its comment's first line.
ch_selects() {
	python3 - "$1" <<'PY'
import re, sys
for block in open(sys.argv[1]).read().split(";"):
    lines = block.strip().splitlines()
    title, prev = "", False
    for l in lines:  # the first line of the last comment paragraph
        if l.startswith("--") and not prev:
            title = l[2:].strip()
        prev = l.startswith("--") and l.strip() != "--"
    sql = "\n".join(l for l in lines if not l.startswith("--")).strip()
    if re.match(r"SELECT\b", sql, re.I):
        sys.stdout.write(title + "\0" + sql + "\0")
PY
}

# ch_insert_url TABLE [HOST]
ch_insert_url() {
	echo "http://${2:-127.0.0.1}:$CH_HTTP/?query=INSERT%20INTO%20$1%20FORMAT%20JSONEachRow&input_format_skip_unknown_fields=1"
}
