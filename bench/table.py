#!/usr/bin/env python3
"""Markdown scaling tables from bench/scaling.sh / bench/all_pipelines.sh JSON lines.
usage: bench/table.py RESULTS.jsonl [VENDOR.jsonl]   (one table per pipeline, rows in file order)"""
import json
import sys

COLUMNS = ("| calls | CPU ms/call-s | RSS/call kB | threads | round trip p50 / p99 / max ms | lost | late | "
           "completed | setup p50 / p99 ms | vendor p50 / p99 ms | loadgen CPU ms/call-s | loadgen pacing lag p99 ms | load |")


def fmt(v, digits=2):
    return f"{v:.{digits}f}" if isinstance(v, (int, float)) else "–"


def row(d, vendor):
    h, lat, setup = d["host"], d["latency_ms"], d["setup_ms"]
    echo = f'{fmt(lat["p50"])} / {fmt(lat["p99"])} / {fmt(lat["max"], 1)}' if d.get("frames_matched") else "–"
    stamped = d.get("vendor_latency_ms", {})
    if stamped.get("stamped_frames"):
        vend = f'{fmt(stamped["p50"])} / {fmt(stamped["p99"])} (to caller)'
    elif vendor:
        vend = f'{fmt(vendor["p50_ms"])} / {fmt(vendor["p99_ms"])} (ingest)'
    else:
        vend = "–"
    return (f'| {d["calls"]} | {fmt(h["cpu_ms_per_call_second"], 3)} | {fmt(h["rss_per_call_kb"], 1)} | '
            f'{h["threads_peak"]} | {echo} | {d["frames_lost"] if d.get("frames_matched") else "–"} | '
            f'{d["frames_late"] if d.get("frames_matched") else "–"} | {d["completed"]}/{d["calls"]} | '
            f'{fmt(setup["connect_p50"])} / {fmt(setup["connect_p99"])} | {vend} | '
            f'{fmt(d.get("client_cpu_ms_per_call_second"), 3)} | {fmt(d.get("pacing_lag_ms", {}).get("p99"), 1)} | '
            f'{d.get("loadavg_after", "")} |')


runs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
vendor = [json.loads(l) for l in open(sys.argv[2])] if len(sys.argv) > 2 else []
by_pipeline = {}
for d in runs:
    by_pipeline.setdefault(d["pipeline"], []).append(d)
for pipeline, rows in by_pipeline.items():
    print(f"`{pipeline}`:\n{COLUMNS}\n|{'---|' * (COLUMNS.count('|') - 1)}")
    dg = iter(vendor) if pipeline == "transcribe-deepgram" else iter(())
    for d in rows:
        print(row(d, next(dg, None)))
    print()
