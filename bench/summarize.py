#!/usr/bin/env python3
"""Prints the table of a bench/*.sh benchmark from its results file.

    summarize.py RESULTS                                   (bench/sql_vs_sqlx.sh)
    summarize.py RESULTS --other migrate-mongo \\
        --label apply="apply 200 (up / up)" --goal apply=3  (bench/mongo_vs_migrate_mongo.sh)

Input: tab-separated lines `backend phase tool run seconds`.
Output: per backend and phase, the median wall-clock seconds of each tool, the individual runs and
the ratio mongrate/OTHER (below 1.0: mongrate is faster). With --goal PHASE=FACTOR, also the
speed-up OTHER/mongrate and whether it reaches FACTOR. Runs of a tool named `mongrate-gN`
(`mongrate up --group-size N`) make a second table, one row per group size, against the same
OTHER and against plain `mongrate` (its default group size); runs of `floor` (the same SQL in one
transaction by psql / sqlite3, no bookkeeping) are its last row.
"""
import argparse
import re
import statistics
from collections import defaultdict

DEFAULT_LABELS = {"apply": "apply (up / migrate run)", "status": "status (status / migrate info)"}


def pairs(values, kind):
    result = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep:
            raise SystemExit(f"--{kind} takes PHASE=VALUE, got {value!r}")
        result[key] = text
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--other", default="sqlx", help="the tool mongrate is compared with")
    parser.add_argument("--label", action="append", default=[], help="PHASE=TEXT: the measurement's name")
    parser.add_argument("--goal", action="append", default=[], help="PHASE=FACTOR: speed-up goal")
    args = parser.parse_args()
    other = args.other
    labels = {**DEFAULT_LABELS, **pairs(args.label, "label")}
    goals = {phase: float(factor) for phase, factor in pairs(args.goal, "goal").items()}

    runs = defaultdict(list)
    order = []
    with open(args.results) as results:
        for line in results:
            backend, phase, tool, _run, seconds = line.rstrip("\n").split("\t")
            if (backend, phase) not in order:
                order.append((backend, phase))
            runs[backend, phase, tool].append(float(seconds))

    headers = ["backend", "measurement", "mongrate s", f"{other} s", f"mongrate/{other}"]
    if goals:
        headers += ["speed-up", "goal"]
    headers += ["verdict", "mongrate runs", f"{other} runs"]
    rows = []
    for backend, phase in order:
        mg = runs[backend, phase, "mongrate"]
        ot = runs[backend, phase, other]
        if not mg or not ot:
            raise SystemExit(f"no {'mongrate' if not mg else other} runs for {backend} {phase}")
        mg_median, ot_median = statistics.median(mg), statistics.median(ot)
        ratio = mg_median / ot_median
        label = labels.get(phase, phase)
        row = [
            backend,
            f"{label}, median of {len(mg)}",
            f"{mg_median:.3f}",
            f"{ot_median:.3f}",
            f"{ratio:.2f}",
        ]
        if goals:
            speedup = ot_median / mg_median
            goal = goals.get(phase)
            row += [
                f"{speedup:.2f}x",
                "-" if goal is None else f"{goal:g}x {'met' if speedup >= goal else 'MISSED'}",
            ]
        row += [
            "mongrate faster" if ratio < 1 else "mongrate slower" if ratio > 1 else "equal",
            " ".join(f"{s:.3f}" for s in mg),
            " ".join(f"{s:.3f}" for s in ot),
        ]
        rows.append(row)

    widths = [max(len(str(row[i])) for row in [headers] + rows) for i in range(len(headers))]
    numeric = {2, 3, 4, 5} if goals else {2, 3, 4}
    def fmt(row):
        return "  ".join(str(c).rjust(w) if i in numeric else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    print(fmt(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))
    print()
    print("wall-clock seconds per command (process start to exit); ratio below 1.0: mongrate is faster"
          + (f"; speed-up = {other}/mongrate" if goals else ""))
    print_sweep(runs, order, other, labels)


def print_sweep(runs, order, other, labels):
    """The group-size sweep: tools `mongrate-gN`, one row per N, per backend and phase."""
    headers = ["backend", "measurement", "group size", "median s", f"/{other}", "/default", "runs"]
    rows = []
    for backend, phase in order:
        sizes = sorted(int(m.group(1)) for (b, p, tool) in runs
                       if b == backend and p == phase and (m := re.fullmatch(r"mongrate-g(\d+)", tool)))
        for size in sizes:
            times = runs[backend, phase, f"mongrate-g{size}"]
            median = statistics.median(times)
            rows.append([
                backend,
                labels.get(phase, phase),
                str(size),
                f"{median:.3f}",
                f"{median / statistics.median(runs[backend, phase, other]):.2f}",
                f"{median / statistics.median(runs[backend, phase, 'mongrate']):.2f}",
                " ".join(f"{s:.3f}" for s in times),
            ])
        if (backend, phase, "floor") in runs:
            times = runs[backend, phase, "floor"]
            median = statistics.median(times)
            rows.append([
                backend,
                labels.get(phase, phase),
                "floor",
                f"{median:.3f}",
                f"{median / statistics.median(runs[backend, phase, other]):.2f}",
                f"{median / statistics.median(runs[backend, phase, 'mongrate']):.2f}",
                " ".join(f"{s:.3f}" for s in times),
            ])
    if not rows:
        return
    widths = [max(len(row[i]) for row in [headers] + rows) for i in range(len(headers))]
    print()
    print(f"group-size sweep (`mongrate up --group-size N`): median seconds, ratio to {other} and to mongrate's default")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.rjust(w) if i in {2, 3, 4, 5} else c.ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths))).rstrip())


if __name__ == "__main__":
    main()
