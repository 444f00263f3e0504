// Edges of a lambda's life where the hook must not act on what it sees: a code ConfigMap name
// someone else holds, a Service name someone else holds while the apply strategy is unknown,
// and a Deployment that is being deleted.
import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { CompositeResponse } from '../../../src/hooks/composite-types.js';
import { syncPythonLambda } from '../../../src/hooks/pythonlambda-sync.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { asDesired } from '../../../src/metacontroller/carry-over.js';
import { parseBudget } from '../../../src/validation/counted-parse.js';
import { codeConfigMapName } from '../../../src/render/code-configmap.js';
import { codeHashOf, helloSpec, lambdaSpec, testHookContext } from '../../fixtures/lambda.js';
import { childMap, compositeRequest, pythonLambda } from '../../fixtures/metacontroller.js';
import { observeChildren } from '../../fixtures/observed.js';

const ctx = testHookContext();

function ready(response: CompositeResponse) {
  return response.status.conditions!.find((c) => c.type === 'Ready')!;
}

/** A lambda `hello` created and then observed Ready on its first code. */
function servingLambda(spec = helloSpec()) {
  let parent = pythonLambda({ spec });
  const created = syncPythonLambda(compositeRequest({ parent, children: [] }), ctx);
  parent = pythonLambda({ spec, status: created.status });
  const servedAnswer = syncPythonLambda(
    compositeRequest({ parent, children: observeChildren(created.children, parent) }),
    ctx,
  );
  expect(ready(servedAnswer).status).to.equal('True');
  return { parent, answer: servedAnswer, observed: observeChildren(servedAnswer.children, parent) };
}

describe('sync: names someone else holds, and children being deleted', () => {
  it('keeps every child as it is when the new code ConfigMap name is held by someone else', () => {
    const serving = servingLambda();
    const changed = helloSpec({ code: 'def handler(event, context):\n    return "B"\n' });
    const foreign: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: codeConfigMapName('hello', codeHashOf(lambdaSpec(changed))),
        namespace: 'demo',
        uid: 'someone-else',
      },
      data: { 'main.py': 'def handler(event, context):\n    return "not yours"\n' },
    };
    const parent = pythonLambda({ spec: changed, status: serving.answer.status, generation: 2 });
    const request = compositeRequest({ parent, children: serving.observed });
    request.related = childMap([foreign], parent, 'v2');
    const answer = syncPythonLambda(request, ctx);
    expect(ready(answer)).to.include({ status: 'False', reason: 'NameConflict' });
    expect(ready(answer).message).to.contain(foreign.metadata.name);
    expect(answer.children).to.deep.equal(
      serving.observed.map((child) => asDesired(child, parseBudget(Infinity))),
    );
    const deployment = answer.children.find(
      (c) => c.kind === 'Deployment',
    ) as unknown as Deployment;
    const mounted = deployment.spec!.template.spec!.volumes!.map((v) => v.configMap?.name);
    expect(mounted).to.not.include(foreign.metadata.name);
  });

  it('creates nothing for a new lambda whose code ConfigMap name is held by someone else', () => {
    const spec = helloSpec();
    const parent = pythonLambda({ spec });
    const request = compositeRequest({ parent, children: [] });
    request.related = childMap(
      [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: codeConfigMapName('hello', codeHashOf(lambdaSpec(spec))),
            namespace: 'demo',
            uid: 'someone-else',
          },
        },
      ],
      parent,
      'v2',
    );
    const answer = syncPythonLambda(request, ctx);
    expect(answer.children).to.deep.equal([]);
    expect(ready(answer).reason).to.equal('NameConflict');
  });

  it('reports a Service name held by someone else while the apply strategy is unknown', () => {
    const unknownStrategy = testHookContext({ applyStrategy: undefined, maxCodeBytes: undefined });
    // About 360 KB of code: fits only server-side apply, so the Service would go first.
    const parent = pythonLambda({ spec: helloSpec({ code: 'x = 1\n'.repeat(60_000) }) });
    const request = compositeRequest({ parent, children: [] });
    request.related = childMap(
      [
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'hello', namespace: 'demo', uid: 'someone-else' },
          spec: { selector: { app: 'other' } },
        },
      ],
      parent,
      'v2',
    );
    const answer = syncPythonLambda(request, unknownStrategy);
    expect(ready(answer)).to.include({ status: 'False', reason: 'NameConflict' });
    expect(answer.children.map((c) => c.kind)).to.not.include('Service');
  });

  it('a Service it controls but not labelled controller-uid (released, seen only as related) is a conflict', () => {
    // Metacontroller releases such an object before the sync; `related` may still show the
    // reference. Asked for, server-side apply would force-patch it: a takeover.
    const parent = pythonLambda({ spec: helloSpec() });
    const request = compositeRequest({ parent, children: [] });
    const held: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'hello',
        namespace: 'demo',
        uid: 'made-by-another-controller',
        ownerReferences: [
          {
            apiVersion: 'pylambda.dev/v1alpha1',
            kind: 'PythonLambda',
            name: 'hello',
            uid: parent.metadata.uid!,
            controller: true,
          },
        ],
      },
      spec: { selector: { app: 'other' } },
    };
    request.related = childMap([held], parent, 'v2');
    const answer = syncPythonLambda(request, ctx);
    expect(ready(answer)).to.include({ status: 'False', reason: 'NameConflict' });
    expect(ready(answer).message).to.contain(
      'Service demo/hello already exists and is not owned by this lambda (it is controlled by PythonLambda hello, but Metacontroller did not create it for this lambda: another controller did)',
    );
    expect(answer.children.map((c) => c.kind)).to.not.include('Service');
  });

  it('is not Ready while its Deployment is being deleted', () => {
    const serving = servingLambda(helloSpec({ replicas: 2 }));
    // `kubectl delete --cascade=foreground`: the Deployment stays, rolled out, until its pods go.
    const observed = serving.observed.map((child) =>
      child.kind === 'Deployment'
        ? {
            ...child,
            metadata: {
              ...child.metadata,
              deletionTimestamp: '2031-03-04T05:06:00Z',
              finalizers: ['foregroundDeletion'],
            },
          }
        : child,
    );
    const parent = pythonLambda({
      spec: helloSpec({ replicas: 2 }),
      status: serving.answer.status,
    });
    const answer = syncPythonLambda(compositeRequest({ parent, children: observed }), ctx);
    expect(ready(answer)).to.include({ status: 'False', reason: 'Creating' });
  });
});
