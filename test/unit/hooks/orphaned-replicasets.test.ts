// `kubectl delete deployment/<lambda> --cascade=orphan` (the usual way to change a Deployment's
// immutable fields) leaves its ReplicaSets running, with no owner reference, until the next
// Deployment of that selector adopts them. Their pods mount their code ConfigMaps all along, and
// a ReplicaSet that wants replicas recreates a pod at any eviction: its ConfigMap must stay.
import { expect } from 'chai';
import type { CompositeResponse } from '../../../src/hooks/composite-types.js';
import { syncPythonLambda } from '../../../src/hooks/pythonlambda-sync.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { testHookContext } from '../../fixtures/lambda.js';
import { childMap, compositeRequest, pythonLambda } from '../../fixtures/metacontroller.js';
import { observeChildren } from '../../fixtures/observed.js';

const ctx = testHookContext();
const spec = (n: number) => ({
  code: `def handler(event, context):\n    return ${n}\n`,
  replicas: 2,
});

type Json = Record<string, unknown>;

function configMaps(response: CompositeResponse): string[] {
  return response.children.filter((c) => c.kind === 'ConfigMap').map((c) => c.metadata.name);
}

function deploymentOf(response: CompositeResponse): Json {
  return response.children.find((c) => c.kind === 'Deployment') as unknown as Json;
}

/** A ReplicaSet of `deployment`'s template with `replicas` pods, controlled by it or orphaned. */
function replicaSet(deployment: Json, name: string, replicas: number, owned: boolean): KubeObject {
  const template = (deployment.spec as Json).template as Json;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'demo',
      labels: (template.metadata as Json).labels as Record<string, string>,
      ...(owned
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: 'hello',
                uid: 'deployment-uid',
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: { replicas, template },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
  };
}

describe('sync: ReplicaSets orphaned by a Deployment deleted with --cascade=orphan', () => {
  it('keeps the code ConfigMap of every orphaned ReplicaSet that has or wants pods', () => {
    // v1 serves; v2 rolls out halfway; v3 is pushed.
    const created = syncPythonLambda(
      compositeRequest({ parent: pythonLambda({ spec: spec(1) }) }),
      ctx,
    );
    let parent = pythonLambda({ spec: spec(1), status: created.status });
    const v1 = syncPythonLambda(
      compositeRequest({ parent, children: observeChildren(created.children, parent) }),
      ctx,
    );
    expect(v1.status.conditions![0]!.status).to.equal('True');
    parent = pythonLambda({ spec: spec(2), status: v1.status, generation: 2 });
    const v2 = syncPythonLambda(
      compositeRequest({ parent, children: observeChildren(v1.children, parent) }),
      ctx,
    );
    const v2ConfigMap = configMaps(v2)[0]!;
    parent = pythonLambda({ spec: spec(3), status: v2.status, generation: 3 });
    // The Deployment is gone, its ReplicaSets orphaned: v1's with 1 pod, v2's with 2.
    const children = observeChildren(v2.children, parent).filter((c) => c.kind !== 'Deployment');
    const request = compositeRequest({ parent, children });
    request.related = childMap(
      [
        replicaSet(deploymentOf(v1), 'hello-5c4b3a2f1', 1, false),
        replicaSet(deploymentOf(v2), 'hello-7d9f8c6b5', 2, false),
      ],
      parent,
      'v2',
    );
    const answer = syncPythonLambda(request, ctx);
    expect(configMaps(answer)).to.include(v2ConfigMap);
    expect(configMaps(answer)).to.include(configMaps(v1)[0]!);
  });
});
