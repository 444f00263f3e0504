#!/usr/bin/env python3
"""The peer: pylambda's two sync hooks written the way Metacontroller's own examples write
hooks (http.server's BaseHTTPRequestHandler and json, a do_POST that dispatches on the path),
rendering the same ConfigMap, Deployment and Service and the same kind of status as the
TypeScript service. It validates nothing beyond what rendering needs, as those examples do.

One change from the examples, in the peer's favour: they serve with the single-threaded
HTTPServer and HTTP/1.0 (a connection per call); this serves with ThreadingHTTPServer, HTTP/1.1
keep-alive and TCP_NODELAY, as our runtime does. Metacontroller keeps up to --workers calls in
flight, and autocannon mismeasures a server that closes every connection (it writes the next
request on the closing connection and counts that request's latency from then).

    PORT=8091 python3 bench/peer/hook_server.py

Benchmark code only: it shows what the common way of writing a hook costs.
"""

import hashlib
import json
import logging
import os
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
LOGGER = logging.getLogger("peer")

# The runtime comes from the runtime image, as ours renders it: an init container copies the
# package into an emptyDir (src/render/runtime-delivery.ts). Its tag is pylambda's release.
with open(os.path.join(os.path.dirname(__file__), "..", "..", "package.json"), encoding="utf-8") as f:
    RELEASE = json.load(f)["version"]
RUNTIME_IMAGE = "pylambda-runtime:" + RELEASE
RUNTIME_DIR = "/opt/pylambda-runtime"

CLUSTER_DOMAIN = "cluster.local"
MOUNT_ROOT = "/opt/pylambda"
DEPS_DIR = "/opt/pylambda-deps"
RUN_AS = 65532
DRAIN_SECONDS = 5


def sha256(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def labels(name):
    return {
        "app.kubernetes.io/name": "pylambda",
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/managed-by": "pylambda",
        "pylambda.dev/lambda": name,
    }


def security_context():
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def render_service(name, namespace, port, selector, service_labels):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": service_labels},
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
        },
    }


class Controller(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes; no delayed-ACK stall

    def sync_lambda(self, parent, children):
        name = parent["metadata"]["name"]
        namespace = parent["metadata"]["namespace"]
        LOGGER.info("Syncing PythonLambda %s/%s", namespace, name)
        spec = parent.get("spec") or {}
        handler = spec.get("handler", "main.handler")
        image = spec.get("image") or "python:%s-slim" % spec.get("runtime", "3.12")
        port = spec.get("port", 8080)
        timeout = spec.get("timeoutSeconds", 30)
        files = spec.get("files") or {}
        requirements = spec.get("requirements")

        data = {"main.py": spec["code"]}
        items = [{"key": "main.py", "path": "code/main.py"}]
        for path in sorted(files):
            key = path.replace("/", "__")
            data[key] = files[path]
            items.append({"key": key, "path": "code/" + path})
        if requirements:
            data["requirements.txt"] = requirements
            items.append({"key": "requirements.txt", "path": "requirements.txt"})
        # Hashed first: the code ConfigMap is immutable and named by the hash of its content.
        code_hash = sha256(
            {
                "code": spec["code"],
                "files": files,
                "requirements": requirements or "",
                "handler": handler,
                "image": image,
            }
        )
        code_configmap = name + "-code-" + code_hash[:10]
        configmap = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": code_configmap,
                "namespace": namespace,
                "labels": dict(labels(name), **{"app.kubernetes.io/component": "code"}),
            },
            "immutable": True,
            "data": data,
        }
        env = [
            {"name": "PYLAMBDA_HANDLER", "value": handler},
            {"name": "PYLAMBDA_PORT", "value": str(port)},
            {"name": "PYLAMBDA_TIMEOUT_SECONDS", "value": str(timeout)},
            {"name": "PYLAMBDA_CODE_DIR", "value": MOUNT_ROOT + "/code"},
            {"name": "PYLAMBDA_FUNCTION_NAME", "value": name},
            {"name": "PYLAMBDA_NAMESPACE", "value": namespace},
            {"name": "PYLAMBDA_DRAIN_SECONDS", "value": str(DRAIN_SECONDS)},
            {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
            {"name": "HOME", "value": "/tmp"},
        ]
        user_env = spec.get("env") or []
        own = {e["name"] for e in user_env}
        user_path = [e.get("value") for e in user_env if e["name"] == "PYTHONPATH"]
        python_path = RUNTIME_DIR + (":" + user_path[0] if user_path and user_path[0] else "")
        env = (
            [e for e in env if e["name"] not in own]
            + [{"name": "PYTHONPATH", "value": python_path}]
            + [e for e in user_env if e["name"] != "PYTHONPATH"]
        )
        resources = {
            "requests": dict({"cpu": "50m", "memory": "64Mi"}, **((spec.get("resources") or {}).get("requests") or {})),
            "limits": dict({"memory": "256Mi"}, **((spec.get("resources") or {}).get("limits") or {})),
        }
        mounts = [
            {"name": "code", "mountPath": MOUNT_ROOT, "readOnly": True},
            {"name": "runtime", "mountPath": RUNTIME_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ]
        volumes = [
            {"name": "code", "configMap": {"name": code_configmap, "items": items}},
            {"name": "runtime", "emptyDir": {"sizeLimit": "16Mi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        ]
        init_containers = [
            {
                "name": "runtime",
                "image": RUNTIME_IMAGE,
                "command": ["cp", "-R", "/pylambda/pylambda_runtime", RUNTIME_DIR + "/"],
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
                "securityContext": security_context(),
                "volumeMounts": [{"name": "runtime", "mountPath": RUNTIME_DIR}],
            }
        ]
        pod_spec = {
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": RUN_AS,
                "runAsGroup": RUN_AS,
                "fsGroup": RUN_AS,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "terminationGracePeriodSeconds": timeout + DRAIN_SECONDS + 5,
            "initContainers": init_containers,
            "containers": [
                {
                    "name": "lambda",
                    "image": image,
                    "command": ["python", "-u", "-P", "-m", "pylambda_runtime"],
                    "workingDir": MOUNT_ROOT + "/code",
                    "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
                    "env": env,
                    "readinessProbe": {
                        "httpGet": {"path": "/healthz", "port": "http"},
                        "periodSeconds": 5,
                        "failureThreshold": 2,
                    },
                    "livenessProbe": {
                        "tcpSocket": {"port": "http"},
                        "periodSeconds": 10,
                        "failureThreshold": 3,
                    },
                    "resources": resources,
                    "securityContext": security_context(),
                    "volumeMounts": mounts,
                }
            ],
            "volumes": volumes,
        }
        if requirements:
            volumes.append({"name": "deps", "emptyDir": {}})
            mounts.append({"name": "deps", "mountPath": DEPS_DIR, "readOnly": True})
            init_containers.append(
                {
                    "name": "install-requirements",
                    "image": image,
                    "command": ["python", "-m", "pip", "install", "--no-cache-dir", "--target", DEPS_DIR,
                                "-r", MOUNT_ROOT + "/requirements.txt"],
                    "securityContext": security_context(),
                    "volumeMounts": [mounts[0], mounts[2], {"name": "deps", "mountPath": DEPS_DIR}],
                }
            )
        template = {
            "metadata": {
                "labels": labels(name),
                "annotations": {"pylambda.dev/code-hash": code_hash, "pylambda.dev/runtime-version": RELEASE},
            },
            "spec": pod_spec,
        }
        template_hash = sha256(template)[:16]
        template["metadata"]["annotations"]["pylambda.dev/template-hash"] = template_hash
        replicas = spec.get("replicas", 1)
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
            "spec": {
                "replicas": replicas,
                "revisionHistoryLimit": 3,
                "selector": {"matchLabels": {"pylambda.dev/lambda": name}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                "template": template,
            },
        }
        url = "http://%s.%s.svc.%s:%d" % (name, namespace, CLUSTER_DOMAIN, port)
        service = render_service(name, namespace, port, {"pylambda.dev/lambda": name}, labels(name))

        observed = None
        for child in (children.get("Deployment.apps/v1") or {}).values():
            if child["metadata"]["name"] == name:
                observed = child
        status = self.lambda_status(parent, observed, template_hash, replicas, url)
        status["codeHash"] = code_hash
        return {"status": status, "children": [configmap, deployment, service]}

    def lambda_status(self, parent, observed, template_hash, replicas, url):
        observed_status = (observed or {}).get("status") or {}
        observed_hash = (((observed or {}).get("spec") or {}).get("template") or {}).get("metadata", {})
        observed_hash = (observed_hash.get("annotations") or {}).get("pylambda.dev/template-hash")
        available = observed_status.get("availableReplicas", 0)
        updated = observed_status.get("updatedReplicas", 0)
        if observed is None:
            ready, reason, message = "False", "Creating", "waiting for the Deployment to be created"
        elif observed_hash != template_hash or updated < replicas or available < updated:
            ready, reason, message = "False", "RollingOut", "%d of %d replicas are available" % (available, replicas)
        else:
            ready, reason, message = "True", "Available", "%d of %d replicas serve the current code at %s" % (
                available, replicas, url)
        previous = [c for c in ((parent.get("status") or {}).get("conditions") or []) if c.get("type") == "Ready"]
        since = previous[0]["lastTransitionTime"] if previous and previous[0].get("status") == ready else now()
        return {
            "conditions": [
                {
                    "type": "Ready",
                    "status": ready,
                    "observedGeneration": parent["metadata"].get("generation"),
                    "lastTransitionTime": since,
                    "reason": reason,
                    "message": message,
                }
            ],
            "replicas": observed_status.get("replicas", 0),
            "readyReplicas": observed_status.get("readyReplicas", 0),
            "updatedReplicas": updated,
            "url": url,
        }

    def sync_deployment(self, deployment):
        name = deployment["metadata"]["name"]
        namespace = deployment["metadata"]["namespace"]
        LOGGER.info("Syncing Deployment %s/%s", namespace, name)
        annotations = deployment["metadata"].get("annotations") or {}
        port = int(annotations.get("pylambda.dev/port", "8080"))
        settings = {
            "PYLAMBDA_HANDLER": annotations["pylambda.dev/handler"],
            "PYLAMBDA_PORT": str(port),
            "PYLAMBDA_TIMEOUT_SECONDS": annotations.get("pylambda.dev/timeout-seconds", "30"),
            "PYLAMBDA_CODE_DIR": annotations.get("pylambda.dev/code-dir", MOUNT_ROOT + "/code"),
            "PYLAMBDA_FUNCTION_NAME": name,
            "PYLAMBDA_NAMESPACE": namespace,
        }
        configmap = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name + "-pylambda",
                "namespace": namespace,
                "labels": dict(labels(name), **{"app.kubernetes.io/component": "settings"}),
            },
            # Settings only: the Deployment's pods get the runtime from the runtime image.
            "data": {"settings.json": json.dumps(settings, indent=2) + "\n"},
        }
        selector = deployment["spec"]["selector"]["matchLabels"]
        service = render_service(name + "-lambda", namespace, port, selector, labels(name))
        return {
            "annotations": {
                "pylambda.dev/service": name + "-lambda",
                "pylambda.dev/url": "http://%s-lambda.%s.svc.%s:%d" % (name, namespace, CLUSTER_DOMAIN, port),
                "pylambda.dev/configmap": name + "-pylambda",
                "pylambda.dev/error": None,
            },
            "attachments": [configmap, service],
        }

    def do_POST(self):
        content_length = int(self.headers["Content-Length"])
        request = json.loads(self.rfile.read(content_length))
        path = self.path.split("?", 1)[0]
        if path == "/hooks/pythonlambda/sync":
            response = self.sync_lambda(request["parent"], request.get("children") or {})
        elif path == "/hooks/lambda-deployment/sync":
            response = self.sync_deployment(request["object"])
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps(response).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        # Only for the benchmark's readiness check.
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass  # one log line per sync is enough, as in our service


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8091"))
    LOGGER.info("Starting peer hooks on 127.0.0.1:%d...", port)
    server = ThreadingHTTPServer(("127.0.0.1", port), Controller)
    server.daemon_threads = True
    server.serve_forever()
