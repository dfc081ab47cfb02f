#!/usr/bin/env bash
# Load test of `classify serve` (bench/Classify.Bench.Serve): for a linear tweet-sentiment model trained here and an
# ONNX BERT-mini (scratch weights, exported), measures throughput with batching off (--max-batch-size 1) against dynamic
# micro-batching, p50/p99 latency unloaded and under load, and a 10x overload against a small queue and a queue-delay
# bound (accepted p99, 429s by reason, peak RSS of the server process, whether it stayed up), with clients that honour
# Retry-After. Also where a request's CPU goes (HTTP path vs scoring) and the Amdahl bound that puts on batching. Every
# loop is bounded (a fixed number of answered requests, capped in seconds), so the script stops by itself. Prints a
# markdown section with the ratios against issue 14's targets (batching >= 3x batch-1 throughput; overload accepted
# p99 <= 2x unloaded p99); CLASSIFY_BENCH_APPEND=1 appends it to docs/benchmarks.md.
# Usage: bench/run-serve-bench.sh
#   CLASSIFY_BENCH_CLIENTS=8 (concurrent clients for the linear model; the overload uses 10x)
#   CLASSIFY_BENCH_ONNX_CLIENTS=32 (for BERT-mini: enough requests in flight for batches to form)   CLASSIFY_BENCH_REQUESTS=20000 (linear)
#   CLASSIFY_BENCH_ONNX_REQUESTS=1500   CLASSIFY_BENCH_MAX_SECONDS=120 (cap per loop)   CLASSIFY_BENCH_SKIP_ONNX=1
#   CLASSIFY_BENCH_OVERLOAD_DELAY_MS=auto (the overload's --max-queue-delay-ms; auto: half the unloaded p99, >= 0.1)
#   CLASSIFY_BENCH_OVERLOAD_CONCURRENCY=auto (the overload's --max-concurrent-requests; auto: 2 per core)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/classify-serve-bench.XXXXXX)"
clients="${CLASSIFY_BENCH_CLIENTS:-8}"
max_seconds="${CLASSIFY_BENCH_MAX_SECONDS:-120}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build "$repo/src/Classify.Cli" -c Release --artifacts-path "$work/artifacts" -v quiet -nologo >/dev/null
dotnet build "$repo/bench/Classify.Bench.Serve" -c Release --artifacts-path "$work/artifacts" -v quiet -nologo >/dev/null
classify_dll="$work/artifacts/bin/Classify.Cli/release/classify.dll"
bench_dll="$work/artifacts/bin/Classify.Bench.Serve/release/Classify.Bench.Serve.dll"
classify() { dotnet "$classify_dll" "$@"; }

# The linear model: the zero-config recipe on the 27,480 training tweets (one fit, no grid).
classify train --data "$repo/../shared/data/tweet-sentiment-extraction/train.csv" --text-col text --label-col sentiment \
  --id-col textID --name tweets-serve --runs-dir "$work/runs" --no-report >&2
linear="$work/runs/tweets-serve/model"
cmd_linear=(dotnet "$bench_dll" --classify-dll "$classify_dll" --model "$linear" --name tweets-linear --clients "$clients"
  --requests "${CLASSIFY_BENCH_REQUESTS:-20000}" --unloaded-requests 2000 --max-seconds "$max_seconds"
  --overload-max-queue-delay-ms "${CLASSIFY_BENCH_OVERLOAD_DELAY_MS:-auto}" --overload-max-concurrent-requests "${CLASSIFY_BENCH_OVERLOAD_CONCURRENCY:-auto}")
"${cmd_linear[@]}" > "$work/linear.json"

if [[ "${CLASSIFY_BENCH_SKIP_ONNX:-0}" != 1 ]]; then
  # BERT-mini (4 layers, hidden 256, bert-base-uncased vocabulary) with scratch weights, exported to ONNX float32: the
  # speed of a real BERT-mini. scratch:bert-mini is an encoder without a classification head, so the export of the
  # scratch folder itself is refused; the script adds a random 3-label head (classifier.weight/bias) and the labels.
  CLASSIFY_CACHE="$work/cache" classify export --model scratch:bert-mini --format onnx -o "$work/unused" >/dev/null 2>&1 || true
  /usr/bin/python3 - "$work/cache/scratch/bert-mini-seed42" "$work/bert-mini" <<'ADDHEAD'
import json, os, random, shutil, struct, sys
source, target = sys.argv[1], sys.argv[2]
shutil.copytree(source, target)
path = os.path.join(target, "model.safetensors")
with open(path, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
hidden = json.load(open(os.path.join(target, "config.json")))["hidden_size"]
rng = random.Random(7)
extra = {"classifier.weight": ([3, hidden], [rng.gauss(0, 0.02) for _ in range(3 * hidden)]), "classifier.bias": ([3], [0.0, 0.0, 0.0])}
for name, (shape, values) in extra.items():
    blob = struct.pack(f"<{len(values)}f", *values)
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
    data += blob
encoded = json.dumps(header, separators=(",", ":")).encode()
encoded += b" " * (-len(encoded) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(encoded))); f.write(encoded); f.write(data)
config = json.load(open(os.path.join(target, "config.json")))
labels = ["negative", "neutral", "positive"]
config["id2label"] = {str(i): l for i, l in enumerate(labels)}
config["label2id"] = {l: i for i, l in enumerate(labels)}
json.dump(config, open(os.path.join(target, "config.json"), "w"), indent=2)
ADDHEAD
  classify export --model "$work/bert-mini" --format onnx -o "$work/bert-mini-onnx" >&2
  cmd_onnx=(dotnet "$bench_dll" --classify-dll "$classify_dll" --model "$work/bert-mini-onnx" --name bert-mini-onnx
    --clients "${CLASSIFY_BENCH_ONNX_CLIENTS:-32}" --overload-queue 32
    --requests "${CLASSIFY_BENCH_ONNX_REQUESTS:-1500}" --unloaded-requests 300 --max-seconds "$max_seconds"
    --overload-max-queue-delay-ms "${CLASSIFY_BENCH_OVERLOAD_DELAY_MS:-auto}" --overload-max-concurrent-requests "${CLASSIFY_BENCH_OVERLOAD_CONCURRENCY:-auto}")
  "${cmd_onnx[@]}" > "$work/onnx.json"
fi

/usr/bin/python3 - "$work" "$repo" "$clients" <<'PY' | tee "$work/serving.md"
import json, os, subprocess, sys
work, repo, clients = sys.argv[1], sys.argv[2], int(sys.argv[3])
def sh(cmd): return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
cpu_model = sh("lscpu | grep 'Model name' | sed 's/.*: *//'")
cores = sh("nproc")
rows, splits, verdicts = [], [], []
first = last = None
for name in ("linear", "onnx"):
    path = os.path.join(work, name + ".json")
    if not os.path.exists(path): continue
    r = json.load(open(path)); first = first or r; last = r
    u, b1, bd, ov = r["unloaded"], r["batch1"], r["batched"], r["overload"]
    speedup = bd["throughput_rps"] / b1["throughput_rps"] if b1["throughput_rps"] else float("nan")
    ratio = ov["p99_ms"] / u["p99_ms"] if u["p99_ms"] else float("nan")
    # The same ratio by CPU (server + clients per answered request): less at the mercy of other jobs than req/s.
    def cpu(x): return x.get("server_cpu_ms_per_request", 0) + x.get("client_cpu_ms_per_request", 0)
    cpu_speedup = cpu(b1) / cpu(bd) if cpu(bd) else float("nan")
    rej = ov.get("rejected", {})
    rows.append(f"| {r['model']} | {r['clients']} / {10 * r['clients']} (queue {ov['queue_capacity']}, delay {ov['max_queue_delay_ms']} ms, {ov.get('max_concurrent_requests', '–')} in flight) | {u['p50_ms']:.2f} / {u['p99_ms']:.2f} "
                f"| {b1['throughput_rps']:.0f} ({b1['p50_ms']:.1f} / {b1['p99_ms']:.1f}) "
                f"| {bd['throughput_rps']:.0f} ({bd['p50_ms']:.1f} / {bd['p99_ms']:.1f}), mean batch {bd['mean_batch']} | **{speedup:.2f}×** ({cpu_speedup:.2f}× per CPU) "
                f"| {ov['p50_ms']:.2f} / {ov['p99_ms']:.2f} (**{ratio:.2f}×** unloaded p99; queue wait p99 ≤ {ov.get('queue_wait_p99_ms_at_most', float('nan'))} ms), {ov['ok']} ok, {ov['status_429']} × 429 "
                f"({', '.join(f'{k} {v:.0f}' for k, v in rej.items())}), {ov['failed']} failed "
                f"| {max(b1['peak_rss_mb'], bd['peak_rss_mb'], ov['peak_rss_mb']):.0f} MB |")
    c = r.get("cost_split")
    # When scoring is most of a request's cost, the HTTP path is not what bounds batching: the ceiling is the engine's
    # own batch-vs-single cost ratio. (M is the worker's wall time, which misstates the CPU of a multi-threaded engine
    # such as ONNX Runtime's, one way or the other on a loaded machine, so an Amdahl figure from it would mislead.)
    engine_bound = c is not None and c["model_share"] >= 0.5
    bound = "engine-bound" if engine_bound else f"**{c['batching_bound']:.2f}×**" if c else ""
    if c:
        splits.append(f"| {r['model']} | {b1['server_cpu_ms_per_request']:.3f} | {b1['client_cpu_ms_per_request']:.3f} | {c['model_ms_per_text']:.4f} "
                      f"| {c['http_cpu_ms']:.3f} | {100 * c['model_share']:.1f} % | {bound} "
                      f"| {bd['server_cpu_ms_per_request']:.3f} / {bd['client_cpu_ms_per_request']:.3f} / {bd['model_ms_per_text']:.4f} |")
    verdicts.append(f"- {r['model']}: batching {speedup:.2f}× ({cpu_speedup:.2f}× per CPU; target ≥ 3×: {'met' if speedup >= 3 else 'NOT met'}"
                    + (f"; Amdahl bound from the CPU split {c['batching_bound']:.2f}×" if c and not engine_bound else "; scoring is most of the cost: the engine's own batch/single ratio bounds it" if c else "") + "); "
                    f"overload accepted p99 {ratio:.2f}× unloaded (target ≤ 2×: {'met' if ratio <= 2 else 'NOT met'}); "
                    f"{ov['failed']} failed, server {'up' if ov.get('server_alive', True) else 'CRASHED'}, peak RSS {ov['peak_rss_mb']:.0f} MB")
print(f"""
## Serving: `classify serve` under load ({first['date']})

Machine: {cpu_model}, {cores} cores (load average {' '.join(first['load_before'])} before, {' '.join(last['load_after'])} after).
Server and clients run on the same cores (the server as a `classify serve` child process on 127.0.0.1, the clients in
the bench process, one text per request). Command: `bench/run-serve-bench.sh`; a client that gets 429 waits as
`Retry-After` says (1 s). Batch-1 and dynamic batching run without a queue-delay bound; the overload runs with
`--max-queue-delay-ms` and `--max-concurrent-requests` as shown (auto: half the unloaded p99, at least 0.1 ms; 2 per core); its "queue wait" is the wait in the batcher's
queue (`classify_queue_wait_seconds`, a bucket bound), the rest of an accepted request's latency is the HTTP path.

| model | clients / overload clients | unloaded p50 / p99 ms (1 client) | batch-1 req/s (p50 / p99 ms) | dynamic batching req/s (p50 / p99 ms) | speed-up (per CPU: batch-1 / dynamic CPU per request) | 10× overload: accepted p50 / p99 ms, 429s (by reason) | server peak RSS |
|---|---|---|---|---|---|---|---|""")
print("\n".join(rows))
if splits:
    print("""
Where a batch-1 request's CPU goes: the server process's CPU time and the bench process's (the clients) per answered
request, and the batch worker's scoring time per text (M, wall time: the ONNX engine's intra-op threads may spend more
CPU than that, so where scoring is most of a request no bound is computed: the engine's own batch/single ratio is the
bound there). H = server + client − M is the HTTP path (client, Kestrel, JSON). Batching can only shrink M, so on
CPU-bound cores it cannot raise throughput beyond (H + M) / H.

| model | server CPU ms / req | client CPU ms / req | M: scoring ms / text | H: HTTP path CPU ms | model share | batching bound (H + M) / H | dynamic: server / client CPU ms, scoring ms / text |
|---|---|---|---|---|---|---|---|""")
    print("\n".join(splits))
print("\nAgainst issue 14's targets:\n" + "\n".join(verdicts))
PY
if [[ "${CLASSIFY_BENCH_APPEND:-0}" == 1 ]]; then cat "$work/serving.md" >> "$repo/docs/benchmarks.md"; fi
echo "raw figures: $work/linear.json $work/onnx.json" >&2
