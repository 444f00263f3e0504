// The PYLAMBDA_* variables that tell the runtime (runtime/pylambda_runtime.py) what to serve.
// One list for both paths: container env for a PythonLambda, settings.json for a decorated
// Deployment, so the two can never drift apart.
import type { LambdaSettings } from '../lambda/settings.js';
import { DRAIN_SECONDS } from './pod-layout.js';

export function runtimeVariables(
  settings: LambdaSettings,
  codeDir: string,
): Record<string, string> {
  return {
    PYLAMBDA_HANDLER: settings.handler,
    PYLAMBDA_PORT: String(settings.port),
    PYLAMBDA_TIMEOUT_SECONDS: String(settings.timeoutSeconds),
    PYLAMBDA_CODE_DIR: codeDir,
    PYLAMBDA_FUNCTION_NAME: settings.name,
    PYLAMBDA_NAMESPACE: settings.namespace,
    // Keep serving a few seconds after SIGTERM, until endpoints drop the pod.
    PYLAMBDA_DRAIN_SECONDS: String(DRAIN_SECONDS),
  };
}
