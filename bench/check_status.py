#!/usr/bin/env python3
"""Reads a tool's status output on stdin and prints "<applied> applied, <pending> pending".

    check_status.py mongrate   < output of `mongrate --json status`
    check_status.py sqlx       < output of `sqlx migrate info`

Anything else the tool reports (failed migrations, drift, checksum mismatches) is appended, so the
caller's comparison with "N applied, 0 pending" fails.
"""
import json
import re
import sys


def mongrate(text):
    report = json.loads(text)
    summary = report["summary"]
    line = f"{summary['applied']} applied, {summary['pending']} pending"
    if summary.get("failed"):
        line += f", {summary['failed']} failed"
    if report.get("drift"):
        line += f", drift: {report['drift']}"
    return line


def sqlx(text):
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    applied = pending = 0
    other = []
    for line in text.splitlines():
        match = re.match(r"^\s*(\d+)/(\w+)\s", line)
        if match and match.group(2) == "installed":
            applied += 1
        elif match and match.group(2) == "pending":
            pending += 1
        elif line.strip():
            other.append(line.strip())
    line = f"{applied} applied, {pending} pending"
    if other:
        line += f", other output: {other[:3]}"
    return line


if __name__ == "__main__":
    tool = sys.argv[1]
    print({"mongrate": mongrate, "sqlx": sqlx}[tool](sys.stdin.read()))
