// Annotated Deployments set up before the runtime image existed run the runtime as one file from
// the ConfigMap pylambda attached (`python -u /opt/pylambda/runtime/pylambda_runtime.py`). That
// ConfigMap now holds only settings.json, so rewriting it would break such pods at their next
// restart: the decorator keeps what it attached before and says how to move on.
import type { Deployment } from 'kubernetes-types/apps/v1.js';

const LEGACY_RUNTIME_FILE = 'pylambda_runtime.py';

export function runsLegacyRuntime(deployment: Deployment): boolean {
  const pod = deployment.spec?.template?.spec;
  return [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])].some((container) =>
    [...(container.command ?? []), ...(container.args ?? [])].some((arg) =>
      String(arg).endsWith(LEGACY_RUNTIME_FILE),
    ),
  );
}

export const LEGACY_RUNTIME_MESSAGE =
  `this Deployment runs ${LEGACY_RUNTIME_FILE} from the ConfigMap pylambda attaches, which no ` +
  `longer carries the runtime; pylambda keeps what it attached before, unchanged. To take ` +
  `updates again, get the runtime from the runtime image instead (an init container and an ` +
  `emptyDir, and the command python -u -P -m pylambda_runtime: see the README, "An annotated ` +
  `Deployment")`;
