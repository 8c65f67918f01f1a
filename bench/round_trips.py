#!/usr/bin/env python3
"""Counts what a tool sent to the server, for the benchmarks' "round trips per migration" tables.

    round_trips.py pg-log LOG START END DB        PostgreSQL's log between byte offsets START and
                                                  END (log_statement=all, log_connections=on,
                                                  log_line_prefix '%m [%p] db=%d '): prints
                                                  "connections query_messages executes" for DB
    round_trips.py pg-shapes LOG START END DB     the same slice: the most frequent statements
    round_trips.py strace FILE PORT               an `strace -f -yy` trace: prints the number of
                                                  writes to TCP sockets connected to PORT
    round_trips.py mongo-delta BEFORE AFTER PROBE serverStatus metrics.commands snapshots (JSON
                                                  from mongo_check.js counters): prints the
                                                  commands the server ran between them, minus the
                                                  snapshot's own (PROBE: two snapshots in a row)
    round_trips.py commands-table COUNTS          the same, one row per tool with each command's count
    round_trips.py table COUNTS                   the table of a counts file: tab-separated lines
                                                  `label phase migrations key=value ...`

On PostgreSQL a simple-query message (`statement:` in the log) may hold several statements; an
extended-protocol execution (`execute <name>:`) holds one. The client's socket writes are its
round trips: a client that waits for each reply writes once per exchange (pipelined messages go
out in one write).
"""
import json
import re
import sys
from collections import Counter

PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[\d+\] db=(\S*) \w+:  (.*)$")


def log_slice(path, start, end):
    with open(path, "rb") as log:
        log.seek(int(start))
        return log.read(int(end) - int(start)).decode("utf-8", errors="replace").splitlines()


def pg_entries(path, start, end, db):
    """The messages logged for DB, each with its continuation lines (PostgreSQL starts those with
    a tab) joined by " | "."""
    entry = None
    for line in log_slice(path, start, end):
        match = PREFIX.match(line)
        if match:
            if entry is not None:
                yield entry
            entry = match.group(2) if match.group(1) == db else None
        elif entry is not None and line.startswith("\t"):
            entry += " | " + line.strip()
    if entry is not None:
        yield entry


def pg_log(path, start, end, db):
    connections = queries = executes = 0
    for message in pg_entries(path, start, end, db):
        if message.startswith("connection authorized"):
            connections += 1
        elif message.startswith("statement: "):
            queries += 1
        elif message.startswith("execute "):
            executes += 1
    print(connections, queries, executes)


def pg_shapes(path, start, end, db):
    shapes = Counter()
    for message in pg_entries(path, start, end, db):
        if message.startswith(("statement: ", "execute ")):
            shape = re.sub(r"\d+", "N", message.split(": ", 1)[1].strip(" |"))
            shapes[shape if len(shape) <= 150 else shape[:147] + "..."] += 1
    for shape, count in shapes.most_common(10):
        print(f"{count:6d}  {shape}")


def strace_writes(path, port):
    socket = re.compile(r"^(?:\d+\s+)?(?:write|writev|sendto|sendmsg)\(\d+<TCP:\[[^\]]*->[^\]]*:" + port + r"\]>")
    with open(path, errors="replace") as trace:
        print(sum(1 for line in trace if socket.match(line)))


def commands(path):
    with open(path) as snapshot:
        return {name: int(total) for name, total in json.load(snapshot).items()}


def mongo_delta(before, after, probe):
    start, end, overhead = commands(before), commands(after), commands(probe)
    delta = {}
    for name in set(start) | set(end):
        ran = end.get(name, 0) - start.get(name, 0) - overhead.get(name, 0)
        if ran:
            delta[name] = ran
    print(" ".join(f"{name}={count}" for name, count in sorted(delta.items())))


def commands_table(path):
    """One row per tool: all commands, in total and per migration, then each command's count."""
    rows = []
    for line in open(path):
        label, phase, migrations, *pairs = line.rstrip("\n").split("\t")
        counts = {k: int(v) for k, v in (p.split("=", 1) for p in pairs if p)}
        rows.append((phase, label, int(migrations), counts))
    for phase in dict.fromkeys(row[0] for row in rows):
        print(f"{phase}:")
        for row_phase, label, migrations, counts in rows:
            if row_phase != phase:
                continue
            total = sum(counts.values())
            each = ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda kv: -kv[1]))
            print(f"  {label:<16} {total:6d} commands for {migrations} migrations = {total / migrations:5.2f} per migration: {each}")


def table(path):
    rows = []
    for line in open(path):
        label, phase, migrations, *pairs = line.rstrip("\n").split("\t")
        rows.append((label, phase, int(migrations), dict(p.split("=", 1) for p in pairs)))
    for phase in dict.fromkeys(row[1] for row in rows):
        keys = list(dict.fromkeys(k for row in rows if row[1] == phase for k in row[3]))
        headers = ["tool", "migrations"] + [f"{k} (per migration)" for k in keys]
        lines = []
        for label, row_phase, migrations, counts in rows:
            if row_phase != phase:
                continue
            cells = [label, str(migrations)]
            for key in keys:
                value = int(counts.get(key, 0))
                cells.append(f"{value} ({value / migrations:.2f})" if migrations else str(value))
            lines.append(cells)
        widths = [max(len(r[i]) for r in [headers] + lines) for i in range(len(headers))]
        print(f"{phase}:")
        print("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
        for cells in lines:
            print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip())


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    modes = {"pg-log": pg_log, "pg-shapes": pg_shapes, "strace": strace_writes,
             "mongo-delta": mongo_delta, "table": table, "commands-table": commands_table}
    modes[mode](*args)
