// Where things live inside a lambda pod. The runtime (the pylambda_runtime package) reads the
// same paths through the PYLAMBDA_* variables, and `pylambda invoke` recreates them locally.
export const MOUNT_ROOT = '/opt/pylambda';
export const CODE_DIR = `${MOUNT_ROOT}/code`;
export const REQUIREMENTS_KEY = 'requirements.txt';
export const REQUIREMENTS_PATH = `${MOUNT_ROOT}/${REQUIREMENTS_KEY}`;
export const DEPS_DIR = '/opt/pylambda-deps';
/** The runtime package's name: `python -m pylambda_runtime` serves the handler. */
export const RUNTIME_PACKAGE = 'pylambda_runtime';
/** Where the runtime image holds the package (runtime/Dockerfile and e2e/runtime-image.sh). */
export const IMAGE_RUNTIME_DIR = '/pylambda';
/**
 * Where a lambda container finds the package: an emptyDir the runtime init container fills
 * from the runtime image. Outside MOUNT_ROOT, whose ConfigMap volume is read-only and could
 * not hold another mount point.
 */
export const RUNTIME_DIR = '/opt/pylambda-runtime';
/**
 * `-P` (Python 3.11+): the working directory is the user's code dir, and must not shadow the
 * runtime's own modules; the runtime puts the code dir first on sys.path itself, for the
 * handler's imports, once it has started.
 */
export const RUNTIME_COMMAND = ['python', '-u', '-P', '-m', RUNTIME_PACKAGE];
/** The settings file of an annotated Deployment (the ConfigMap pylambda attaches, mounted). */
export const SETTINGS_DIR = `${MOUNT_ROOT}/settings`;
/**
 * The runtime's own probe paths (runtime/pylambda_runtime/probes.py), never the handler's:
 * readiness fails until the handler imported, while draining and once timed-out calls pile up;
 * liveness fails only when the runtime is wedged (more of them, or a watchdog that cannot run).
 * A runtime version names its pod layout, probes included (hooks/runtime-choice.ts).
 */
export const READINESS_PATH = '/healthz';
export const LIVENESS_PATH = '/livez';
/** After SIGTERM the runtime keeps serving this long so endpoints drop the pod first. */
export const DRAIN_SECONDS = 5;
/** A fixed non-root user: python:<v>-slim runs as root, and runAsNonRoot alone would be refused. */
export const RUN_AS_USER = 65532;
