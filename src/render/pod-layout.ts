// Where things live inside a lambda pod. The runtime (runtime/pylambda_runtime.py) reads the
// same paths through the PYLAMBDA_* variables, and `pylambda invoke` recreates them locally.
export const RUNTIME_FILE = 'pylambda_runtime.py';
export const MOUNT_ROOT = '/opt/pylambda';
export const RUNTIME_DIR = `${MOUNT_ROOT}/runtime`;
export const CODE_DIR = `${MOUNT_ROOT}/code`;
export const REQUIREMENTS_KEY = 'requirements.txt';
export const REQUIREMENTS_PATH = `${MOUNT_ROOT}/${REQUIREMENTS_KEY}`;
export const DEPS_DIR = '/opt/pylambda-deps';
export const RUNTIME_COMMAND = ['python', '-u', `${RUNTIME_DIR}/${RUNTIME_FILE}`];
/** After SIGTERM the runtime keeps serving this long so endpoints drop the pod first. */
export const DRAIN_SECONDS = 5;
/** A fixed non-root user: python:<v>-slim runs as root, and runAsNonRoot alone would be refused. */
export const RUN_AS_USER = 65532;
