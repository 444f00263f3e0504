"""POST a JSON body to a lambda at URL (a pod IP or ClusterIP of this run) and print the response
as JSON: {"status": 200, "body": ...}. Usage: call.py URL BODY"""

import json
import sys
import urllib.error
import urllib.request


def main():
    url, body = sys.argv[1:3]
    request = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, payload = err.code, err.read()
    try:
        parsed = json.loads(payload)
    except ValueError:
        parsed = payload.decode(errors="replace")
    print(json.dumps({"status": status, "body": parsed}, sort_keys=True))


if __name__ == "__main__":
    main()
