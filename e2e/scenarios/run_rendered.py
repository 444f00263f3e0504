"""Run a lambda's rendered container on this machine, as the kubelet would, and call it once.

There is no kubelet in the e2e control plane, so pods never run. To show that what the API server
holds would really serve, this lays out the pod's configMap and emptyDir volumes under a temporary
root exactly as the Deployment mounts them, runs the container's command and args with its env
(paths under the mounts rewritten into that root, `python` being this interpreter), on a free
127.0.0.1 port, waits for its /healthz, sends one request and prints the response as JSON:
{"status": 200, "body": ...}.

Usage: run_rendered.py DEPLOYMENT.json CONFIGMAPS.json REQUEST-BODY
  CONFIGMAPS.json is `kubectl get configmaps -o json` of the namespace (a List).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lay_out_volumes(pod_spec, container, configmaps, root):
    """Write each mounted volume under root + mountPath; return the mount paths, longest first."""
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    mounts = []
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        target = os.path.join(root, mount["mountPath"].lstrip("/"))
        os.makedirs(target, exist_ok=True)
        mounts.append(mount["mountPath"])
        if "configMap" in volume:
            cm = configmaps[volume["configMap"]["name"]]
            data = cm.get("data", {})
            items = volume["configMap"].get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                path = os.path.join(target, item["path"])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(data[item["key"]])
        elif "emptyDir" not in volume:
            sys.exit(f"volume {mount['name']}: only configMap and emptyDir volumes can be laid out here")
    return sorted(mounts, key=len, reverse=True)


def rewrite(value, mounts, root):
    for mount_path in mounts:
        if value == mount_path or value.startswith(mount_path.rstrip("/") + "/"):
            return os.path.join(root, value.lstrip("/"))
    return value


def main():
    deployment_file, configmaps_file, body = sys.argv[1:4]
    with open(deployment_file, encoding="utf-8") as f:
        deployment = json.load(f)
    with open(configmaps_file, encoding="utf-8") as f:
        configmaps = {cm["metadata"]["name"]: cm for cm in json.load(f)["items"]}
    pod_spec = deployment["spec"]["template"]["spec"]
    container = pod_spec["containers"][0]
    with tempfile.TemporaryDirectory(prefix="pylambda-e2e-") as root:
        mounts = lay_out_volumes(pod_spec, container, configmaps, root)
        argv = [rewrite(a, mounts, root) for a in container.get("command", []) + container.get("args", [])]
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        env = {"PATH": os.environ["PATH"]}
        for var in container.get("env", []):
            if "value" in var:
                env[var["name"]] = rewrite(var["value"], mounts, root)
        if "HOME" in env:
            env["HOME"] = root
        port = free_port()
        # The runtime's own settings: listen on loopback only, on a port free here.
        env["PYLAMBDA_HOST"] = "127.0.0.1"
        env["PYLAMBDA_PORT"] = str(port)
        log = open(os.path.join(root, "runtime.log"), "w+b")
        proc = subprocess.Popen(argv, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2):
                        break
                except (urllib.error.URLError, OSError):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        proc.kill()
                        proc.wait()
                        log.seek(0)
                        output = log.read().decode(errors="replace")
                        sys.exit(f"the rendered runtime did not become healthy: {argv}\n{output}")
                    time.sleep(0.2)
            request = urllib.request.Request(
                base + "/", data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
            )
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
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


if __name__ == "__main__":
    main()
