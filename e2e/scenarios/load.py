"""Call a lambda in a bounded loop and record every call, for scenarios that change it under load.

Usage: load.py URL OUT STOPFILE [--workers N] [--pause S] [--max-calls N] [--max-seconds S] [--body JSON]

Each worker POSTs BODY to URL (a ClusterIP or pod IP this run created), one call after another,
on a new connection each time (so every call is routed afresh, as a new client's would be),
pausing PAUSE seconds between calls, until STOPFILE exists, MAX_CALLS calls are made or
MAX_SECONDS pass. Every call becomes one line
of OUT: start and end (epoch seconds), the HTTP status (0 for a connection error or timeout) and
the answer's "version" (or the error). The bounds keep the traffic a test makes small and short.
"""

import argparse
import json
import os
import threading
import time
import urllib.error
import urllib.request


def call(url, body, timeout):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")[:200]
    except Exception as err:  # a refused, reset or timed-out connection is what this records
        return 0, f"{type(err).__name__}: {err}"[:200]
    try:
        return status, json.loads(payload).get("version")
    except (ValueError, AttributeError):
        return status, payload.decode(errors="replace")[:200]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("stopfile")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.02)
    parser.add_argument("--max-calls", type=int, default=20000)
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument("--body", default="{}")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    body = args.body.encode()
    deadline = time.time() + args.max_seconds
    lock = threading.Lock()
    made = [0]

    def worker(out):
        while time.time() < deadline and not os.path.exists(args.stopfile):
            with lock:
                if made[0] >= args.max_calls:
                    return
                made[0] += 1
            start = time.time()
            status, result = call(args.url, body, args.timeout)
            line = json.dumps({"start": start, "end": time.time(), "status": status, "result": result})
            with lock:
                out.write(line + "\n")
                out.flush()
            time.sleep(args.pause)

    with open(args.out, "w") as out:
        threads = [threading.Thread(target=worker, args=(out,)) for _ in range(args.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


if __name__ == "__main__":
    main()
