# What the tools/check_*.sh scripts share (sourced, not run): failing with the script's name, a
# scratch directory, and the eventsd a check starts, stopped at the end (and checked to stop
# cleanly) or killed when the script exits early.

# Prints "<script name>: <message>" on standard error and ends the script with status 1.
fail() { echo "$(basename "$0" .sh): $*" >&2; exit 1; }

# Makes the directory $scratch and sets server= (the caller sets it to the pid of the eventsd it
# starts); when the script exits, that eventsd is killed if it still runs, and $scratch removed.
make_scratch() {
  scratch=$(mktemp -d)
  server=
  trap remove_scratch EXIT
}
remove_scratch() {
  if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then kill "$server"; wait "$server" || true; fi
  rm -rf "$scratch"
}

# Sends SIGTERM to $server, which must exit 0.
stop_server() {
  kill -TERM "$server"
  wait "$server" || fail "eventsd did not exit 0 on SIGTERM"
  server=
}
