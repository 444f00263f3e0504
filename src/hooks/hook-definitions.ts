// The hook routes: path, request schema and pure handler for each. Adding a hook is adding a row.
import { customizePythonLambda } from './pythonlambda-customize.js';
import { finalizePythonLambda } from './pythonlambda-finalize.js';
import { syncPythonLambda } from './pythonlambda-sync.js';
import type { CompositeRequest } from './composite-types.js';
import type { DecoratorRequest } from './decorator-types.js';
import { customizeLambdaDeployment } from './lambda-deployment-customize.js';
import { finalizeLambdaDeployment } from './lambda-deployment-finalize.js';
import { syncLambdaDeployment } from './lambda-deployment-sync.js';
import type { HookContext } from './hook-context.js';

export interface HookDefinition {
  /** Label for logs and metrics, e.g. `pythonlambda/sync`. */
  name: string;
  path: string;
  requestSchema: string;
  /** Pure: request in, response body out. `request` already passed `requestSchema`. */
  handle: (request: never, ctx: HookContext) => unknown;
}

/** Metacontroller may call sync while finalizing if both hooks share a URL; honour the flag. */
function compositeSync(request: CompositeRequest, ctx: HookContext) {
  return request.finalizing ? finalizePythonLambda(request, ctx) : syncPythonLambda(request, ctx);
}

function decoratorSync(request: DecoratorRequest, ctx: HookContext) {
  return request.finalizing
    ? finalizeLambdaDeployment(request, ctx)
    : syncLambdaDeployment(request, ctx);
}

export const HOOKS: HookDefinition[] = [
  {
    name: 'pythonlambda/sync',
    path: '/hooks/pythonlambda/sync',
    requestSchema: 'composite-request.schema.json',
    handle: compositeSync,
  },
  {
    name: 'pythonlambda/finalize',
    path: '/hooks/pythonlambda/finalize',
    requestSchema: 'composite-request.schema.json',
    handle: finalizePythonLambda,
  },
  {
    name: 'pythonlambda/customize',
    path: '/hooks/pythonlambda/customize',
    requestSchema: 'composite-request.schema.json',
    handle: customizePythonLambda,
  },
  {
    name: 'lambda-deployment/sync',
    path: '/hooks/lambda-deployment/sync',
    requestSchema: 'decorator-request.schema.json',
    handle: decoratorSync,
  },
  {
    name: 'lambda-deployment/customize',
    path: '/hooks/lambda-deployment/customize',
    requestSchema: 'decorator-customize-request.schema.json',
    handle: customizeLambdaDeployment,
  },
  {
    name: 'lambda-deployment/finalize',
    path: '/hooks/lambda-deployment/finalize',
    requestSchema: 'decorator-request.schema.json',
    handle: finalizeLambdaDeployment,
  },
];
