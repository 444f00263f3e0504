// Valid hook requests for load: PythonLambdas of several sizes, as Metacontroller marshals them.
import { compositeBody } from '../../property/support/metacontroller.js';
import { parentObject } from '../../property/support/pythonlambda-requests.js';

export const SYNC = '/hooks/pythonlambda/sync';

const HANDLER_CODE = 'def handler(event, context):\n    return {"n": NUMBER, "echo": event}\n';

/** A sync request for lambda `i` with about `codeBytes` of code and no children yet. */
export function syncRequest(i: number, codeBytes = 200): string {
  const padding =
    codeBytes > HANDLER_CODE.length ? `# ${'x'.repeat(codeBytes - HANDLER_CODE.length)}\n` : '';
  return compositeBody({
    parent: parentObject({
      name: `lambda-${i}`,
      namespace: 'load',
      generation: 1,
      creationTimestamp: '2026-08-20T10:00:00Z',
      labels: {},
      annotations: {},
      spec: { code: HANDLER_CODE.replace('NUMBER', String(i)) + padding, replicas: 1 + (i % 3) },
    }),
    children: { 'ConfigMap.v1': {}, 'Deployment.apps/v1': {}, 'Service.v1': {} },
    finalizing: false,
  });
}
