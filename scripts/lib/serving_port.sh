# Sourced by the scripts that start `swift deploy` / `swift app` with --port 0 (or
# --server_port 0): waits for the "serving <name> at http://host:PORT/v1" line in the server's
# log and prints PORT. Fails (status 1, the log printed) when the process `pid` exits first or
# nothing appears within 60 s.
#   port="$(serving_port "$log" "$pid")"
serving_port() {
  local log="$1" pid="$2" port=""
  for _ in $(seq 1 600); do
    port="$(sed -n 's|.*serving [^ ]* at https\?://[^:]*:\([0-9]*\)/v1.*|\1|p' "$log" | head -n 1)"
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "the server did not start within 60 s" >&2
  cat "$log" >&2
  return 1
}
