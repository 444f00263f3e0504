// Rules for an annotated Deployment's containers' env. The runtime lets a non-empty PYLAMBDA_*
// variable win over settings.json (runtime/pylambda_runtime/settings.py), so a variable for
// something an annotation sets would leave the Service on one port (or the settings on one
// handler) and the runtime on another, with nothing saying so. The decorator never edits the pod
// template, so it can only say which variable to remove and what to set instead.
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { Problem } from '../validation/problems.js';
import {
  CODE_DIR_ANNOTATION,
  HANDLER_ANNOTATION,
  PORT_ANNOTATION,
  TIMEOUT_ANNOTATION,
} from './deployment-annotations.js';
import { WILDCARD_HOSTS } from './env-problems.js';

/**
 * What to do instead of each name a PythonLambda may not set either (RESERVED_ENV), and the
 * timeout, which an annotation sets here. PYLAMBDA_DEPS_DIR is not among them: pylambda
 * installs nothing into a decorated pod, so where its packages live is the user's business.
 */
export const DECORATOR_ENV: Readonly<Record<string, string>> = {
  PYLAMBDA_PORT: `overrides ${PORT_ANNOTATION}, which the Service targets: set ${PORT_ANNOTATION} instead`,
  PYLAMBDA_HANDLER: `overrides ${HANDLER_ANNOTATION}: set ${HANDLER_ANNOTATION} instead`,
  PYLAMBDA_CODE_DIR: `overrides ${CODE_DIR_ANNOTATION}: set ${CODE_DIR_ANNOTATION} instead`,
  PYLAMBDA_TIMEOUT_SECONDS: `overrides ${TIMEOUT_ANNOTATION}: set ${TIMEOUT_ANNOTATION} instead`,
  PYLAMBDA_SETTINGS_FILE:
    'makes the runtime read another file than the settings.json pylambda attaches, so no pylambda.dev/* annotation applies: remove it and mount the settings ConfigMap at /opt/pylambda/settings',
  PYLAMBDA_STOP_WHEN_STDIN_CLOSES:
    "makes the runtime stop as soon as it starts, since a pod's stdin is empty: remove it",
};

/**
 * A blank value is no override: the runtime ignores a variable that is empty once trimmed. The
 * request schema leaves `value` untyped, hence the check (Go omits an empty one; null is absent).
 */
function overrides(variable: { value?: unknown; valueFrom?: unknown }): boolean {
  const value = typeof variable.value === 'string' ? variable.value.trim() : variable.value;
  return variable.valueFrom != null || (value != null && value !== '');
}

export function deploymentEnvProblems(pod: PodSpec | undefined): Problem[] {
  const problems: Problem[] = [];
  (pod?.containers ?? []).forEach((container, i) => {
    (container.env ?? []).forEach((variable, j) => {
      const at = `spec.template.spec.containers[${i}].env[${j}]`;
      const instead = Object.hasOwn(DECORATOR_ENV, variable.name)
        ? DECORATOR_ENV[variable.name]
        : undefined;
      if (instead !== undefined && overrides(variable)) {
        problems.push({ path: at, message: `${variable.name} ${instead}` });
      } else if (
        variable.name === 'PYLAMBDA_HOST' &&
        (variable.valueFrom != null || !WILDCARD_HOSTS.includes(variable.value ?? ''))
      ) {
        problems.push({
          path: at,
          message:
            'PYLAMBDA_HOST may only be 0.0.0.0 or :: (every address, IPv4 or IPv6), given as value: the Service reaches the pod at its own IP',
        });
      }
    });
  });
  return problems;
}
