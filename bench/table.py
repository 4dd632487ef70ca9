#!/usr/bin/env python3
"""Markdown scaling tables from bench/scaling.sh / bench/all_pipelines.sh JSON lines.
usage: bench/table.py RESULTS.jsonl [VENDOR.jsonl]   (one table per pipeline, rows in file order)
Runs measured with their floor (scaling.sh: "cpu_ratio_to_floor") also get the "against the
floor" table: each pipeline row beside the floor run just before it (same N and duration)."""
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


FLOOR_COLUMNS = ("| pipeline | calls | floor | floor CPU ms/call-s | host CPU ms/call-s | **× floor** | "
                 "floor RSS/call kB | host RSS/call kB | completed floor / host | lost floor / host | "
                 "agent frames back floor / host | vendor→caller p50 / p99 ms floor / host | load |")


def floor_row(d, f):
    fl = d["floor"]
    echo = d.get("frames_matched")
    lost = f'{fl.get("frames_lost")} / {d["frames_lost"]}' if echo else "–"
    back = "–"
    lat = "–"
    fv, hv = (f or {}).get("vendor_latency_ms", {}), d.get("vendor_latency_ms", {})
    if hv.get("stamped_frames"):
        back = f'{fl.get("frames_received")} / {d["frames_received"]}'
        lat = f'{fmt(fv.get("p50"))} / {fmt(fv.get("p99"))} — {fmt(hv["p50"])} / {fmt(hv["p99"])}'
    return (f'| {d["pipeline"]} | {d["calls"]} | {fl["kind"]} | {fmt(fl["cpu_ms_per_call_second"], 3)} | '
            f'{fmt(d["host"]["cpu_ms_per_call_second"], 3)} | **{fmt(d.get("cpu_ratio_to_floor"), 2)}** | '
            f'{fmt(fl["rss_per_call_kb"], 1)} | {fmt(d["host"]["rss_per_call_kb"], 1)} | '
            f'{fl.get("completed")} / {d["completed"]} of {d["calls"]} | {lost} | {back} | {lat} | '
            f'{(f or {}).get("loadavg_after", "")} / {d.get("loadavg_after", "")} |')


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

floored = []
for i, d in enumerate(runs):
    if "floor" not in d:
        continue
    prev = runs[i - 1] if i > 0 and runs[i - 1].get("floor_of") == d["pipeline"] else None
    floored.append(floor_row(d, prev))
if floored:
    print(f"Against the floor (same run, same N and duration):\n{FLOOR_COLUMNS}\n|{'---|' * (FLOOR_COLUMNS.count('|') - 1)}")
    print("\n".join(floored))
