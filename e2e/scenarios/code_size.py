"""Lambdas of a chosen size, as the webhook's code size limit counts it.

The limit (src/lambda/code-size.ts) is on the code ConfigMap's data as Go's JSON encoder writes it
(Metacontroller's dynamic-apply keeps that text in an annotation): UTF-8, with '<', '>' and '&'
written as six characters each, U+2028 and U+2029 as six bytes (the user's files only: the runtime
comes from its image).

Usage:
  code_size.py measure CONFIGMAP.json
      print the stored bytes of the data of a ConfigMap (`kubectl get configmap -o json`)
  code_size.py lambda NAME CONFIGMAP.json (--stored N | --chars N) OUT.json
      write a PythonLambda manifest (JSON) to OUT.json whose code ConfigMap holds, with the other
      keys of CONFIGMAP.json beside main.py, exactly N bytes of JSON (--stored; the code
      is full of '<', '&' and '>' so that escaping matters), or whose code is N characters of '#'
      (--chars); print the stored bytes of its ConfigMap data.
"""

import json
import os
import sys

CODE_KEY = "main.py"
HEAD = 'def handler(event, context):\n    return "big"\n'
# 9 characters, 25 bytes stored: '<', '&' and '>' are 6 each, the newline 2.
ESCAPED_LINE = "# a<b&c>\n"


def raw_bytes(data):
    """Keys and values, as the API server counts a ConfigMap (server-side apply's limit)."""
    return sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in data.items())


def stored_bytes(data):
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    size = len(text.encode("utf-8"))
    size += 5 * sum(text.count(c) for c in "<>&")
    size += 3 * sum(text.count(c) for c in "\u2028\u2029")
    return size


def measured(data):
    """What the webhook's limit counts under APPLY_STRATEGY (src/lambda/code-size.ts)."""
    if os.environ.get("APPLY_STRATEGY") == "server-side-apply":
        return raw_bytes(data)
    return stored_bytes(data)


def code_data(code, others):
    return {CODE_KEY: code, **others}


def code_of_stored(n, others):
    """Code whose ConfigMap data, the other keys beside it, measures exactly n bytes."""
    room = n - measured(code_data(HEAD, others))
    if room < 0:
        raise SystemExit(f"{n} bytes cannot even hold the handler and the other keys")
    # Under dynamic-apply, lines full of what Go escapes show the limit counts escapes. Under
    # server-side apply only bytes count, and escape-heavy code would swell the PythonLambda
    # itself (stored as Go JSON) past etcd's request limit: plain lines there.
    line = ESCAPED_LINE if os.environ.get("APPLY_STRATEGY") != "server-side-apply" else "# plain\n"
    per_line = measured({"a": line}) - measured({"a": ""})
    lines = room // per_line
    code = HEAD + line * lines + "#" * (room - lines * per_line)
    assert measured(code_data(code, others)) == n
    return code


def main(argv):
    if len(argv) == 3 and argv[1] == "measure":
        with open(argv[2]) as f:
            print(measured(json.load(f).get("data") or {}))
        return
    if len(argv) != 7 or argv[1] != "lambda" or argv[4] not in ("--stored", "--chars"):
        raise SystemExit(__doc__)
    name, configmap, how, n, out = argv[2], argv[3], argv[4], int(argv[5]), argv[6]
    with open(configmap) as f:
        others = {k: v for k, v in (json.load(f).get("data") or {}).items() if k != CODE_KEY}
    if how == "--stored":
        code = code_of_stored(n, others)
    else:
        code = HEAD + "#" * (n - len(HEAD))
    manifest = {
        "apiVersion": "pylambda.dev/v1alpha1",
        "kind": "PythonLambda",
        "metadata": {"name": name},
        "spec": {"code": code},
    }
    with open(out, "w") as f:
        json.dump(manifest, f)
    print(measured(code_data(code, others)))


if __name__ == "__main__":
    main(sys.argv)
