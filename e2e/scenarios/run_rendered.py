"""Run a lambda's rendered container on this machine, as the kubelet would, and call it once.

There is no kubelet in the e2e control plane, so pods never run. To show that what the API server
holds would really serve, this lays out the pod's configMap and emptyDir volumes as the
Deployment mounts them, runs the container's command and args with its env and working directory
(`python` being this interpreter), on a free 127.0.0.1 port, waits for its /healthz, sends one
request and prints the response as JSON: {"status": 200, "body": ..., "mode": ...}.

As root (CI and the dev machines), the volumes are mounted at their real paths in a private mount
namespace (`unshare --mount`: tmpfs over each mount path's top directory, then bind mounts), so
nothing is rewritten and the host's filesystem is untouched. Otherwise the paths under the mounts
are rewritten into a temporary root (settings that name a path inside a mounted file then cannot
be followed).

Usage: run_rendered.py DEPLOYMENT.json CONFIGMAPS.json REQUEST-BODY
  CONFIGMAPS.json is `kubectl get configmaps -o json` of the namespace (a List).
"""

import json
import shlex
import shutil
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


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def top_dir(path):
    return "/" + path.strip("/").split("/")[0]


def namespace_command(argv, mounts, root, workdir):
    """argv wrapped to run with each mount at its real path in a private mount namespace, or
    None when that cannot be done safely here."""
    if os.geteuid() != 0 or not shutil.which("unshare") or os.environ.get("E2E_NO_MOUNT_NAMESPACE"):
        return None
    tops = sorted({top_dir(m) for m in mounts})
    keep = {top_dir(root), top_dir(sys.executable), "/", "/proc", "/sys", "/dev", "/etc", "/usr", "/lib", "/bin"}
    if any(t in keep for t in tops):
        return None
    script = ["set -e"]
    # A tmpfs over each top directory hides the host's, so the mount points are made inside it.
    script += [f"mount -t tmpfs pylambda-e2e {shlex.quote(t)}" for t in tops]
    for m in sorted(mounts, key=len):
        src = os.path.join(root, m.lstrip("/"))
        script += [f"mkdir -p {shlex.quote(m)}", f"mount --bind {shlex.quote(src)} {shlex.quote(m)}"]
    script += [f"cd {shlex.quote(workdir)}", 'exec "$@"']
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script), "sh"] + argv


def main():
    deployment_file, configmaps_file, body = sys.argv[1:4]
    with open(deployment_file, encoding="utf-8") as f:
        deployment = json.load(f)
    with open(configmaps_file, encoding="utf-8") as f:
        configmaps = {cm["metadata"]["name"]: cm for cm in json.load(f)["items"]}
    pod_spec = deployment["spec"]["template"]["spec"]
    container = pod_spec["containers"][0]
    base = os.path.join(REPO, ".cache", "e2e", "run", "pods")
    os.makedirs(base, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pod-", dir=base) as root:
        mounts = lay_out_volumes(pod_spec, container, configmaps, root)
        argv = container.get("command", []) + container.get("args", [])
        if argv and argv[0] in ("python", "python3"):
            argv = [sys.executable] + argv[1:]
        env = {"PATH": os.environ["PATH"]}
        for var in container.get("env", []):
            if "value" in var:
                env[var["name"]] = var["value"]
        workdir = container.get("workingDir") or "/"
        command = namespace_command(argv, mounts, root, workdir)
        mode = "mount-namespace"
        if command is None:
            mode = "rewritten-paths"
            command = [rewrite(a, mounts, root) for a in argv]
            env = {k: rewrite(v, mounts, root) for k, v in env.items()}
            workdir = rewrite(workdir, mounts, root) if workdir != "/" else root
            if "HOME" in env:
                env["HOME"] = root
        port = free_port()
        # The runtime's own settings: listen on loopback only, on a port free here.
        env["PYLAMBDA_HOST"] = "127.0.0.1"
        env["PYLAMBDA_PORT"] = str(port)
        log = open(os.path.join(root, "runtime.log"), "w+b")
        proc = subprocess.Popen(
            command, env=env, cwd=root if mode == "mount-namespace" else workdir,
            stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    with urllib.request.urlopen(url + "/healthz", timeout=2):
                        break
                except (urllib.error.URLError, OSError):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        proc.kill()
                        proc.wait()
                        log.seek(0)
                        output = log.read().decode(errors="replace")
                        sys.exit(f"the rendered runtime did not become healthy ({mode}): {argv}\n{output}")
                    time.sleep(0.2)
            request = urllib.request.Request(
                url + "/", data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
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
            print(json.dumps({"status": status, "body": parsed, "mode": mode}, sort_keys=True))
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
