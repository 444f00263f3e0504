"""Settings: PYLAMBDA_* environment variables, over an optional settings.json file.

Every setting is validated once at start, so a typo fails the pod with a log line naming
the variable (exit code 2) rather than failing every call. What each one means is in
runtime/README.md.
"""

import json
import math
import os
import re
import resource
from dataclasses import dataclass
from typing import Optional

HANDLER_SPEC = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
# Where an annotated Deployment mounts the ConfigMap pylambda attaches to it.
DEFAULT_SETTINGS_FILE = "/opt/pylambda/settings/settings.json"


class SettingsError(Exception):
    """A PYLAMBDA_* variable we cannot use; carries its name for the log line."""

    def __init__(self, variable: str, message: str):
        super().__init__(message)
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    handler: str
    code_dir: str
    deps_dir: Optional[str]
    host: str
    port: int
    timeout_seconds: float
    drain_seconds: float
    max_body_bytes: int
    max_inflight_body_bytes: int
    max_json_values: int
    header_timeout_seconds: float
    write_timeout_seconds: float
    idle_timeout_seconds: float
    max_connections: int
    function_name: str
    namespace: str
    stop_when_stdin_closes: bool = False


def _number(env, name, default, convert, valid, rule):
    """One numeric variable; empty means the default (manifests often render unset as "")."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = convert(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or not valid(value):
        raise SettingsError(name, f"{name}={raw!r} is invalid: expected {rule}")
    return value


FLAG_VALUES = {"": False, "0": False, "false": False, "1": True, "true": True}


def _flag(env, name) -> bool:
    """A yes/no variable: true or 1, false or 0; empty or unset means no."""
    raw = env.get(name, "").strip()
    if raw.lower() not in FLAG_VALUES:
        raise SettingsError(name, f"{name}={raw!r} is invalid: expected true or false")
    return FLAG_VALUES[raw.lower()]


def default_max_connections() -> int:
    """Half the file-descriptor limit (1024 in many container runtimes), at most 256: every
    connection is a descriptor and a thread, and the rest are left to the handler."""
    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (OSError, ValueError):
        soft = resource.RLIM_INFINITY
    if soft == resource.RLIM_INFINITY:
        return 256
    return max(1, min(256, soft // 2))


def load_settings(env) -> Settings:
    """Validate every setting up front, so a typo fails the pod at start rather than per call."""
    handler = env.get("PYLAMBDA_HANDLER", "").strip() or "main.handler"
    if not HANDLER_SPEC.fullmatch(handler):
        message = f"PYLAMBDA_HANDLER={handler!r} is invalid: expected module.function"
        raise SettingsError("PYLAMBDA_HANDLER", message)
    code_dir = os.path.abspath(env.get("PYLAMBDA_CODE_DIR", "").strip() or os.getcwd())
    if not os.path.isdir(code_dir):
        message = f"PYLAMBDA_CODE_DIR={code_dir!r} is not a directory"
        raise SettingsError("PYLAMBDA_CODE_DIR", message)
    deps_dir = env.get("PYLAMBDA_DEPS_DIR", "").strip()
    return Settings(
        handler=handler,
        code_dir=code_dir,
        deps_dir=os.path.abspath(deps_dir) if deps_dir else None,
        host=env.get("PYLAMBDA_HOST", "").strip() or "0.0.0.0",
        port=_number(env, "PYLAMBDA_PORT", 8080, int, lambda v: 0 <= v <= 65535, "0-65535"),
        timeout_seconds=_number(env, "PYLAMBDA_TIMEOUT_SECONDS", 30.0, float, lambda v: v > 0,
                                "seconds > 0"),
        drain_seconds=_number(env, "PYLAMBDA_DRAIN_SECONDS", 0.0, float, lambda v: v >= 0,
                              "seconds >= 0"),
        max_body_bytes=_number(env, "PYLAMBDA_MAX_BODY_BYTES", 6 << 20, int, lambda v: v > 0,
                               "bytes > 0"),
        # Bodies and their decoded text held at once, process-wide (runtime/README.md:
        # Connections and memory): 32 MiB, with the base and one call's JSON objects, keeps
        # the process well inside a lambda's default 256Mi.
        max_inflight_body_bytes=_number(env, "PYLAMBDA_MAX_INFLIGHT_BODY_BYTES", 32 << 20, int,
                                        lambda v: v > 0, "bytes > 0"),
        # A value costs up to ~100 bytes parsed (a {} about 75): 200,000 keep one request's
        # event under about 20 MiB, plus its strings' text (runtime/README.md).
        max_json_values=_number(env, "PYLAMBDA_MAX_JSON_VALUES", 200_000, int, lambda v: v > 0,
                                "values > 0"),
        header_timeout_seconds=_number(env, "PYLAMBDA_HEADER_TIMEOUT_SECONDS", 10.0, float,
                                       lambda v: v > 0, "seconds > 0"),
        write_timeout_seconds=_number(env, "PYLAMBDA_WRITE_TIMEOUT_SECONDS", 30.0, float,
                                      lambda v: v > 0, "seconds > 0"),
        # A keep-alive connection between requests holds a thread and a descriptor: 15 s keeps
        # it across calls a few seconds apart, and frees it soon after its client stops.
        idle_timeout_seconds=_number(env, "PYLAMBDA_IDLE_TIMEOUT_SECONDS", 15.0, float,
                                     lambda v: v > 0, "seconds > 0"),
        max_connections=_number(env, "PYLAMBDA_MAX_CONNECTIONS", default_max_connections(), int,
                                lambda v: v > 0, "connections > 0"),
        function_name=env.get("PYLAMBDA_FUNCTION_NAME", "").strip() or handler,
        namespace=env.get("PYLAMBDA_NAMESPACE", "").strip(),
        stop_when_stdin_closes=_flag(env, "PYLAMBDA_STOP_WHEN_STDIN_CLOSES"),
    )


def settings_environment(environ) -> dict:
    """The environment merged over the PYLAMBDA_* variables of a settings.json file.

    An annotated Deployment mounts the ConfigMap pylambda attaches to it, holding a
    settings.json written from its annotations, so the annotations stay the one place a
    user states the handler and port. The file is PYLAMBDA_SETTINGS_FILE, else
    DEFAULT_SETTINGS_FILE if it exists, else none. A variable set (non-empty) on the
    container wins over the file.
    """
    explicit = environ.get("PYLAMBDA_SETTINGS_FILE", "").strip()
    path = explicit or DEFAULT_SETTINGS_FILE
    try:
        with open(path, encoding="utf-8") as source:
            data = json.load(source)
    except FileNotFoundError:
        if explicit:
            raise SettingsError("PYLAMBDA_SETTINGS_FILE", f"PYLAMBDA_SETTINGS_FILE={path!r} does not exist")
        return dict(environ)
    except (OSError, ValueError) as exc:
        raise SettingsError("PYLAMBDA_SETTINGS_FILE", f"settings file {path!r} is unreadable: {exc}")
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and k.startswith("PYLAMBDA_") and isinstance(v, str) for k, v in data.items()
    ):
        raise SettingsError(
            "PYLAMBDA_SETTINGS_FILE",
            f"settings file {path!r} must be a JSON object of PYLAMBDA_* names to strings",
        )
    merged = dict(environ)
    for name, value in data.items():
        if not environ.get(name, "").strip():
            merged[name] = value
    return merged
