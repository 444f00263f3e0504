// A Deployment whose controller has not observed its latest generation still shows, through its
// ReplicaSets, which pods run: `kubectl set image` (or `kubectl edit`) on a lambda's Deployment
// starts a ReplicaSet of other code, the next sync sets the template back, and until the
// controller observes that, its pods of the other code are still there, answering on the Service.
import { expect } from 'chai';
import type { CompositeResponse } from '../../../src/hooks/composite-types.js';
import { syncPythonLambda } from '../../../src/hooks/pythonlambda-sync.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { helloSpec, testHookContext } from '../../fixtures/lambda.js';
import { childMap, compositeRequest, pythonLambda } from '../../fixtures/metacontroller.js';
import { observeChildren } from '../../fixtures/observed.js';

const ctx = testHookContext();
type Json = Record<string, unknown>;

function ready(response: CompositeResponse) {
  return response.status.conditions!.find((c) => c.type === 'Ready')!;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function replicaSet(name: string, template: Json, pods: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'demo',
      labels: (template.metadata as Json).labels as Record<string, string>,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hello', uid: 'd', controller: true },
      ],
    },
    spec: { replicas: pods, template },
    status: { replicas: pods, readyReplicas: pods, availableReplicas: pods },
  };
}

describe('sync: a generation the Deployment controller has not observed yet', () => {
  it('is not Ready while a ReplicaSet of other code still has pods', () => {
    const spec = helloSpec({ replicas: 2 });
    let parent = pythonLambda({ spec });
    const created = syncPythonLambda(compositeRequest({ parent }), ctx);
    parent = pythonLambda({ spec, status: created.status });
    const served = syncPythonLambda(
      compositeRequest({ parent, children: observeChildren(created.children, parent) }),
      ctx,
    );
    expect(ready(served)).to.include({ status: 'True', reason: 'Available' });
    parent = pythonLambda({ spec, status: served.status });
    // Generation 2 was `kubectl set image` (one pod of it runs); generation 3 is the template
    // set back by the sync after it, which the controller has not observed yet.
    const children = observeChildren(served.children, parent, { deploymentGeneration: 3 });
    const deployment = children.find((c) => c.kind === 'Deployment')!;
    const template = (deployment.spec as Json).template as Json;
    const edited = clone(template);
    (((edited.spec as Json).containers as Json[])[0] as Json).image = 'python:3.13-bookworm';
    deployment.status = {
      ...(deployment.status as Json),
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 1,
    };
    const request = compositeRequest({ parent, children });
    request.related = childMap(
      [replicaSet('hello-5c4b3a2f1', template, 2), replicaSet('hello-7d9f8c6b5', edited, 1)],
      parent,
      'v2',
    );
    const answer = syncPythonLambda(request, ctx);
    expect(ready(answer), ready(answer).message).to.include({
      status: 'False',
      reason: 'RollingOut',
    });
    expect(ready(answer).message).to.contain('older code');
  });

  it('is not Ready when a Deployment deleted by hand is made again, before any pod of it is', () => {
    const spec = helloSpec({ replicas: 2 });
    let parent = pythonLambda({ spec });
    const created = syncPythonLambda(compositeRequest({ parent }), ctx);
    parent = pythonLambda({ spec, status: created.status });
    const served = syncPythonLambda(
      compositeRequest({ parent, children: observeChildren(created.children, parent) }),
      ctx,
    );
    expect(ready(served)).to.include({ status: 'True', reason: 'Available' });
    // kubectl delete deployment/hello: the sync asks for it again ...
    parent = pythonLambda({ spec, status: served.status });
    const withoutDeployment = observeChildren(served.children, parent).filter(
      (c) => c.kind !== 'Deployment',
    );
    const gone = syncPythonLambda(compositeRequest({ parent, children: withoutDeployment }), ctx);
    expect(ready(gone)).to.include({ status: 'False', reason: 'Creating' });
    // ... and sees it made, before the Deployment controller has looked at it: no pod at all.
    parent = pythonLambda({ spec, status: gone.status });
    const made = observeChildren(gone.children, parent, { deployment: 'created' });
    const answer = syncPythonLambda(compositeRequest({ parent, children: made }), ctx);
    expect(ready(answer), ready(answer).message).to.include({
      status: 'False',
      reason: 'Unavailable',
    });
  });

  it('says ScaledToZero, not Scaling, for a lambda at zero whose new generation is not observed', () => {
    const spec = helloSpec({ replicas: 0 });
    let parent = pythonLambda({ spec });
    const created = syncPythonLambda(compositeRequest({ parent }), ctx);
    parent = pythonLambda({ spec, status: created.status });
    const atZero = syncPythonLambda(
      compositeRequest({ parent, children: observeChildren(created.children, parent) }),
      ctx,
    );
    expect(ready(atZero)).to.include({ status: 'True', reason: 'ScaledToZero' });
    // kubectl rollout restart of the Deployment at zero: generation 2, not observed yet.
    parent = pythonLambda({ spec, status: atZero.status });
    const children = observeChildren(atZero.children, parent, { deploymentGeneration: 2 });
    const deployment = children.find((c) => c.kind === 'Deployment')!;
    deployment.status = { ...(deployment.status as Json), observedGeneration: 1 };
    const answer = syncPythonLambda(compositeRequest({ parent, children }), ctx);
    expect(ready(answer)).to.include({ status: 'True', reason: 'ScaledToZero' });
  });
});
