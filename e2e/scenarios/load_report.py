"""Judge the calls load.py recorded. Usage: load_report.py OUT [--after EPOCH --want VERSION]

Prints one summary line: calls, failures, answers by version, and (with --after) the answers of
calls that started after EPOCH by version. Exits 1, naming the first offending calls, if any call
failed (not 200), or if a call started after EPOCH was answered by another version than VERSION.
"""

import argparse
import collections
import json
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--after", type=float)
    parser.add_argument("--want")
    args = parser.parse_args()
    with open(args.out) as out:
        calls = [json.loads(line) for line in out if line.strip()]
    failed = [c for c in calls if c["status"] != 200]
    versions = collections.Counter(str(c["result"]) for c in calls if c["status"] == 200)
    summary = f"{len(calls)} calls, {len(failed)} failed, answers by version {dict(versions)}"
    late, late_wrong = [], []
    if args.after is not None:
        late = [c for c in calls if c["start"] > args.after]
        late_wrong = [c for c in late if c["status"] == 200 and str(c["result"]) != args.want]
        late_versions = collections.Counter(str(c["result"]) for c in late)
        summary += f"; {len(late)} started after Ready: {dict(late_versions)}"
    print(summary)
    if not calls:
        print("no call was made", file=sys.stderr)
        return 1
    if failed:
        print(f"failed calls: {failed[:3]}", file=sys.stderr)
        return 1
    if args.after is not None and not late:
        print("no call started after Ready: the load stopped too early to judge", file=sys.stderr)
        return 1
    if late_wrong:
        print(f"answered by older code after Ready: {late_wrong[:3]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
