// Rules for `spec.env` that JSON Schema cannot state (the CRD states them in CEL): the
// variables the pod's layout depends on are pylambda's. The user's variables are rendered last,
// so that they win, and one of these would leave the container port, the probes and the
// Service on one port or path and the runtime on another: a pod that never turns ready.
import type { PythonLambdaSpec } from '../generated/pythonlambda-spec.js';
import type { Problem } from '../validation/problems.js';

/**
 * Names pylambda sets itself, and why. PYLAMBDA_SETTINGS_FILE would let a file of spec.files set
 * what spec.env may not (PYLAMBDA_HOST). The timeouts and drain stay the user's to set.
 */
export const RESERVED_ENV: Readonly<Record<string, string>> = {
  PYLAMBDA_PORT:
    'is set by pylambda from spec.port (the container port, the probes and the Service follow it): set spec.port',
  PYLAMBDA_HANDLER: 'is set by pylambda from spec.handler: set spec.handler',
  PYLAMBDA_CODE_DIR: 'is set by pylambda to where the code is mounted (/opt/pylambda/code)',
  PYLAMBDA_DEPS_DIR:
    'is set by pylambda to where spec.requirements are installed (/opt/pylambda-deps)',
  PYLAMBDA_SETTINGS_FILE:
    'is not for a PythonLambda: its runtime settings come from the spec and spec.env',
  // For a runtime a program on a laptop starts and holds stdin of (pylambda invoke).
  PYLAMBDA_STOP_WHEN_STDIN_CLOSES:
    'is not for a pod: its stdin is empty, so the runtime would stop as soon as it started',
};

/** The addresses the runtime may listen on so that the probes and the Service reach it. */
export const WILDCARD_HOSTS = ['', '0.0.0.0', '::'];

export function envProblems(env: PythonLambdaSpec['env']): Problem[] {
  const problems: Problem[] = [];
  const firstWithName = new Map<string, number>();
  (env ?? []).forEach((variable, i) => {
    const at = `spec.env[${i}]`;
    // A list map keyed by name (the CRD's schema): server-side apply refuses a Deployment whose
    // container has a name twice, so past a CRD without that schema it would fail every sync.
    const first = firstWithName.get(variable.name);
    if (first === undefined) firstWithName.set(variable.name, i);
    else {
      problems.push({
        path: `${at}.name`,
        message: `${JSON.stringify(variable.name)} is also the name of spec.env[${first}]: each name once`,
      });
    }
    // The API server refuses a container whose variable has both (the CRD says so in CEL): an
    // answer with one would fail at every sync instead of saying which variable is wrong.
    if (variable.value !== undefined && variable.valueFrom !== undefined) {
      problems.push({ path: at, message: 'set either value or valueFrom, not both' });
    }
    const reserved = Object.hasOwn(RESERVED_ENV, variable.name)
      ? RESERVED_ENV[variable.name]
      : undefined;
    if (reserved !== undefined) {
      problems.push({ path: `${at}.name`, message: `${variable.name} ${reserved}` });
    } else if (
      variable.name === 'PYLAMBDA_HOST' &&
      (variable.valueFrom !== undefined || !WILDCARD_HOSTS.includes(variable.value ?? ''))
    ) {
      problems.push({
        path: `${at}.name`,
        message:
          'PYLAMBDA_HOST may only be 0.0.0.0 or :: (every address, IPv4 or IPv6), given as value: the probes and the Service reach the pod at its own IP',
      });
    } else if (variable.name === 'PYTHONPATH' && variable.valueFrom !== undefined) {
      problems.push({
        path: `${at}.valueFrom`,
        message:
          "PYTHONPATH must be given as value, not valueFrom: pylambda writes it after the runtime's directory (/opt/pylambda-runtime)",
      });
    }
  });
  return problems;
}
