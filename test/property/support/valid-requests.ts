// Small valid requests for each hook, as JSON-ready objects: the starting point of mutations.
import fc from 'fast-check';
import type { HookName } from './contract.js';
import { deploymentCase, deploymentObject } from './deployment-requests.js';
import { parseable } from './kube-arbitraries.js';
import {
  childMap,
  COMPOSITE_GROUPS,
  DECORATOR_GROUPS,
  hookVersion,
  observedObjects,
  type HookVersion,
} from './metacontroller.js';
import { parentFields, parentObject } from './pythonlambda-requests.js';
import { smallValidSpec } from './spec-arbitraries.js';

export const HOOKS: HookName[] = [
  'pythonlambda/sync',
  'pythonlambda/finalize',
  'lambda-deployment/sync',
  'lambda-deployment/finalize',
];

export interface ValidRequest {
  hook: HookName;
  version: HookVersion;
  namespace: string;
  /** Field order as Metacontroller marshals it. */
  request: Record<string, unknown>;
}

function compositeRequest(hook: HookName): fc.Arbitrary<ValidRequest> {
  return fc
    .record({
      parent: parentFields,
      spec: smallValidSpec,
      version: hookVersion,
      finalizing: fc.boolean(),
    })
    .chain((r) =>
      observedObjects(r.parent.namespace, ['ConfigMap', 'Deployment', 'Service'], 2).map(
        (children) => ({
          hook,
          version: r.version,
          namespace: r.parent.namespace,
          request: {
            controller: {},
            parent: parentObject({ ...r.parent, spec: r.spec }),
            children: childMap(children, r.parent.namespace, r.version, COMPOSITE_GROUPS),
            related: {},
            finalizing: hook.endsWith('finalize') || r.finalizing,
          },
        }),
      ),
    );
}

function decoratorRequest(hook: HookName): fc.Arbitrary<ValidRequest> {
  return fc
    .record({ deployment: deploymentCase, version: hookVersion, finalizing: fc.boolean() })
    .chain((r) =>
      observedObjects(r.deployment.namespace, ['ConfigMap', 'Service'], 2).map((attachments) => ({
        hook,
        version: r.version,
        namespace: r.deployment.namespace,
        request: {
          controller: {},
          object: deploymentObject(r.deployment),
          attachments: childMap(attachments, r.deployment.namespace, r.version, DECORATOR_GROUPS),
          related: {},
          finalizing: hook.endsWith('finalize') || r.finalizing,
        },
      })),
    );
}

/** A valid request to any of the four hooks. */
export const validRequest: fc.Arbitrary<ValidRequest> = parseable(
  fc
    .constantFrom(...HOOKS)
    .chain((hook) =>
      hook.startsWith('pythonlambda/') ? compositeRequest(hook) : decoratorRequest(hook),
    ),
);
