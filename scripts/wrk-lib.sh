# Shared by scripts/bench-public and scripts/bench-province: one wrk run over a file
# of paths, reported as "requests/s p50-ms p99-ms". Needs CONNECTIONS, DURATION and
# $dir (where each run's full wrk output is kept).

if ! command -v wrk >/dev/null; then
  apt-get install -y -qq wrk >/dev/null
fi

# "1.23ms" / "850.00us" / "1.02s" → milliseconds
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

run() { # name paths-file port → "rps p50 p99"
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/wrk-paths.lua "http://127.0.0.1:$3" -- "$2")
  echo "$out" > "$dir/wrk-$1.txt"
  if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
    echo "wrk saw errors for $1:" >&2; echo "$out" >&2; exit 1
  fi
  local rps p50 p99
  rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  echo "$rps $p50 $p99"
}
