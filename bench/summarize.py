#!/usr/bin/env python3
"""Prints the table of bench/sql_vs_sqlx.sh from its results file.

Input: tab-separated lines `backend phase tool run seconds`.
Output: per backend and phase, the median wall-clock seconds of each tool, the individual runs and
the ratio mongrate/sqlx (below 1.0: mongrate is faster).
"""
import statistics
import sys
from collections import defaultdict


def main(path):
    runs = defaultdict(list)
    order = []
    with open(path) as results:
        for line in results:
            backend, phase, tool, _run, seconds = line.rstrip("\n").split("\t")
            if (backend, phase) not in order:
                order.append((backend, phase))
            runs[backend, phase, tool].append(float(seconds))

    headers = ["backend", "measurement", "mongrate s", "sqlx s", "mongrate/sqlx", "verdict",
               "mongrate runs", "sqlx runs"]
    rows = []
    for backend, phase in order:
        mg = runs[backend, phase, "mongrate"]
        sx = runs[backend, phase, "sqlx"]
        mg_median, sx_median = statistics.median(mg), statistics.median(sx)
        ratio = mg_median / sx_median
        label = {"apply": "apply (up / migrate run)", "status": "status (status / migrate info)"}[phase]
        rows.append([
            backend,
            f"{label}, median of {len(mg)}",
            f"{mg_median:.3f}",
            f"{sx_median:.3f}",
            f"{ratio:.2f}",
            "mongrate faster" if ratio < 1 else "mongrate slower" if ratio > 1 else "equal",
            " ".join(f"{s:.3f}" for s in mg),
            " ".join(f"{s:.3f}" for s in sx),
        ])

    widths = [max(len(str(row[i])) for row in [headers] + rows) for i in range(len(headers))]
    numeric = {2, 3, 4}
    def fmt(row):
        return "  ".join(str(c).rjust(w) if i in numeric else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    print(fmt(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))
    print()
    print("wall-clock seconds per command (process start to exit); ratio below 1.0: mongrate is faster")


if __name__ == "__main__":
    main(sys.argv[1])
