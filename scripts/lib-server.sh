# Shared by scripts/bench.sh and scripts/ci/perf-smoke.sh: start and stop the
# real server binary on a temporary data folder with throttling off.
# Source it; needs $BIN (folder with authsvc and authload built).

# start_server NAME DIR PORT [prefix command...]: starts authsvc, sets
# SERVER_PID and SERVER_LOG, waits until /readyz answers. The database is
# DIR/auth.db unless SERVER_DB_URL names another (a PostgreSQL URL).
start_server() {
	local name=$1 dir=$2 port=$3
	shift 3
	mkdir -p "$dir"
	SERVER_LOG=$dir/server.log
	env AUTH_ADDR=127.0.0.1:$port AUTH_DATABASE_URL="${SERVER_DB_URL:-sqlite://$dir/auth.db}" AUTH_DATA_DIR="$dir/data" \
		AUTH_THROTTLE=off AUTH_LOG_LEVEL=debug AUTH_SQLITE_SYNCHRONOUS=${AUTH_SQLITE_SYNCHRONOUS:-FULL} \
		"$@" "$BIN/authsvc" serve 2>"$SERVER_LOG" &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
			echo "server $name up (pid $SERVER_PID, port $port)" >&2
			return 0
		fi
		sleep 0.1
	done
	echo "server $name did not become ready; log:" >&2
	tail -20 "$SERVER_LOG" >&2
	return 1
}

stop_server() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}

# free_port prints a loopback port nobody listens on.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
