#!/usr/bin/env python3
"""Reads a tool's status output on stdin and prints "<applied> applied, <pending> pending".

    check_status.py mongrate        < output of `mongrate --json status`
    check_status.py mongrate-text   < output of `mongrate status` (its summary line)
    check_status.py sqlx            < output of `sqlx migrate info`
    check_status.py migrate-mongo   < output of `migrate-mongo status` (its table)

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


def mongrate_text(text):
    summaries = re.findall(r"^(\d+) total, (\d+) applied, (\d+) pending, (\d+) failed(.*)$", text, re.M)
    if len(summaries) != 1:
        return f"no summary line ('N total, N applied, N pending, N failed') in: {text[-300:]!r}"
    _total, applied, pending, failed, rest = summaries[0]
    line = f"{applied} applied, {pending} pending"
    if failed != "0":
        line += f", {failed} failed"
    if rest.strip():
        line += f", also: {rest.strip()}"
    return line


def migrate_mongo(text):
    """Rows of the table: `│ <file>.js │ <ISO date or PENDING> │ <block> │`."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    applied = pending = 0
    other = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if len(cells) < 2 or not cells[0].endswith(".js"):
            if line.strip() and not re.fullmatch(r"[┌┬┐├┼┤└┴┘─│ ]*|│ *Filename *│.*", line.strip()):
                other.append(line.strip())
            continue
        if cells[1] == "PENDING":
            pending += 1
        elif re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", cells[1]):
            applied += 1
        else:
            other.append(line.strip())
    line = f"{applied} applied, {pending} pending"
    if other:
        line += f", other output: {other[:3]}"
    return line


if __name__ == "__main__":
    tool = sys.argv[1]
    modes = {"mongrate": mongrate, "mongrate-text": mongrate_text, "sqlx": sqlx, "migrate-mongo": migrate_mongo}
    print(modes[tool](sys.stdin.buffer.read().decode("utf-8", errors="replace")))
