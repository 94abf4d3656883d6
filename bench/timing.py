#!/usr/bin/env python3
"""Time commands in interleaved rounds and compare them round by round.

usage: timing.py RUNS OUT.json NAME=JSON_ARGV [NAME=JSON_ARGV ...]

Each round runs every command once, in an order that rotates from round to round, after
one untimed warm-up round. A virtual machine's speed drifts by ±10% over minutes: timing
all runs of one tool and then all runs of the next (hyperfine's way) lets that drift decide
a ratio near 1. Two commands timed in the same round see the same machine, so the ratio of
their times in one round is free of the drift; the median over the rounds is what
`run.sh` judges.

Writes OUT.json: for each command its wall times, CPU times (user + system of the child,
from wait4) and peak RSS (KiB), and prints one line per command.
"""

import json
import os
import statistics
import subprocess
import sys
import time


def run_once(argv):
    """Wall seconds, CPU seconds and peak RSS (KiB) of one run, output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = 0  # reaped by wait4: keep Popen from waiting again
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    runs, out = int(sys.argv[1]), sys.argv[2]
    commands = []
    for spec in sys.argv[3:]:
        name, _, argv = spec.partition("=")
        commands.append((name, json.loads(argv)))
    results = {name: {"wall": [], "cpu": [], "rss_kib": []} for name, _ in commands}
    for round_no in range(-1, runs):  # round -1 warms the page cache and is not kept
        shift = max(round_no, 0) % len(commands)
        for name, argv in commands[shift:] + commands[:shift]:
            wall, cpu, rss = run_once(argv)
            if round_no >= 0:
                results[name]["wall"].append(wall)
                results[name]["cpu"].append(cpu)
                results[name]["rss_kib"].append(rss)
    for name, r in results.items():
        w = r["wall"]
        print(
            f"   {name:<16} mean {statistics.mean(w):.3f} s  median {statistics.median(w):.3f} s"
            f"  min {min(w):.3f} s  CPU {statistics.median(r['cpu']):.3f} s"
        )
    with open(out, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
