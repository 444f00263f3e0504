import { expect } from 'chai';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { ObjectMap } from '../../../src/metacontroller/objects.js';
import { replicaSetCode } from '../../../src/status/replica-set-code.js';
import { helloSpec, lambdaDeployment, lambdaSpec } from '../../fixtures/lambda.js';
import { pythonLambda } from '../../fixtures/metacontroller.js';
import { observeChild } from '../../fixtures/observed.js';

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
type Template = NonNullable<Deployment['spec']>['template'];

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * The observed Deployment, as the API server returns it (defaults included), in the middle of
 * replacing pods: some outside its newest ReplicaSet, its latest generation not yet observed.
 */
function deployment(): Deployment {
  const desired = lambdaDeployment(lambdaSpec(helloSpec()));
  const observed = observeChild(
    desired as never,
    pythonLambda({ spec: helloSpec() }),
  ) as Deployment;
  observed.metadata = { ...observed.metadata, generation: 2 };
  observed.status = { observedGeneration: 1, replicas: 3, updatedReplicas: 1 };
  return observed;
}

function restarted(template: Template, at: string): Template {
  const copy = clone(template);
  copy.metadata!.annotations = { ...copy.metadata!.annotations, [RESTARTED_AT]: at };
  return copy;
}

/** A ReplicaSet the Deployment controller made from `template`, with `pods` pods. */
function replicaSet(template: Template, pods: number, owner = 'hello', hash = 'abc'): ReplicaSet {
  const copy = clone(template);
  copy.metadata!.labels = { ...copy.metadata!.labels, 'pod-template-hash': hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${owner}-${hash}`,
      namespace: 'demo',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: owner, uid: 'u', controller: true },
      ],
    },
    spec: { replicas: pods, selector: {}, template: copy },
    status: { replicas: pods },
  };
}

function related(...sets: ReplicaSet[]): ObjectMap {
  return {
    'ReplicaSet.apps/v1': Object.fromEntries(
      sets.map((rs) => [`demo/${rs.metadata!.name}`, rs as never]),
    ),
  };
}

describe('the code of the Deployment’s ReplicaSets', () => {
  it('is undefined without ReplicaSets in the request (older installs): the counts decide', () => {
    expect(replicaSetCode({}, deployment())).to.equal(undefined);
    expect(replicaSetCode(null, deployment())).to.equal(undefined);
  });

  it('a rollout restart: the older ReplicaSet differs by restartedAt alone and runs the current code', () => {
    const seen = deployment();
    const before = seen.spec!.template;
    seen.spec!.template = restarted(before, '2026-12-07T10:00:00Z');
    const code = replicaSetCode(
      related(replicaSet(before, 2, 'hello', 'old'), replicaSet(seen.spec!.template, 1)),
      seen,
    );
    expect(code).to.deep.equal({ olderCodePods: 0, restartPending: false });
  });

  it('a second restart: both older ReplicaSets run the current code', () => {
    const seen = deployment();
    const first = restarted(seen.spec!.template, '2026-12-07T10:00:00Z');
    seen.spec!.template = restarted(seen.spec!.template, '2026-12-07T11:00:00Z');
    const code = replicaSetCode(
      related(
        replicaSet(first, 1, 'hello', 'first'),
        replicaSet(seen.spec!.template, 2, 'hello', 'second'),
      ),
      seen,
    );
    expect(code!.olderCodePods).to.equal(0);
  });

  it('reads no template while every pod is in the newest ReplicaSet and the controller is up to date', () => {
    const seen = deployment();
    seen.status = { observedGeneration: 2, replicas: 2, updatedReplicas: 2 };
    const other = clone(seen.spec!.template);
    other.spec!.containers[0]!.image = 'python:3.12-slim';
    // The counts say no pod is outside the newest ReplicaSet: what they say without ReplicaSets.
    expect(replicaSetCode(related(replicaSet(other, 2, 'hello', 'other')), seen)).to.deep.equal({
      olderCodePods: 0,
      restartPending: false,
    });
  });

  it('any other difference (kubectl set image) is other code: its pods count', () => {
    const seen = deployment();
    const other = clone(seen.spec!.template);
    other.spec!.containers[0]!.image = 'python:3.12-slim';
    const code = replicaSetCode(
      related(replicaSet(other, 2, 'hello', 'other'), replicaSet(seen.spec!.template, 1)),
      seen,
    );
    expect(code).to.deep.equal({ olderCodePods: 2, restartPending: false });
  });

  it('a ReplicaSet of another code with no pod left counts none', () => {
    const seen = deployment();
    const other = clone(seen.spec!.template);
    other.metadata!.annotations!['pylambda.dev/template-hash'] = 'older';
    const code = replicaSetCode(
      related(replicaSet(other, 0, 'hello', 'other'), replicaSet(seen.spec!.template, 2)),
      seen,
    );
    expect(code!.olderCodePods).to.equal(0);
  });

  it('ReplicaSets of another Deployment are not the lambda’s', () => {
    const seen = deployment();
    const other = clone(seen.spec!.template);
    other.metadata!.annotations!['pylambda.dev/template-hash'] = 'older';
    const code = replicaSetCode(related(replicaSet(other, 3, 'someone-else')), seen);
    expect(code!.olderCodePods).to.equal(0);
  });

  it('a restart the Deployment controller has not acted on yet is pending', () => {
    const seen = deployment();
    const before = seen.spec!.template;
    seen.spec!.template = restarted(before, '2026-12-07T10:00:00Z');
    expect(replicaSetCode(related(replicaSet(before, 2)), seen)!.restartPending).to.equal(true);
    // Once its ReplicaSet exists, or if nothing runs at all, nothing is pending.
    expect(
      replicaSetCode(
        related(replicaSet(before, 2, 'hello', 'old'), replicaSet(seen.spec!.template, 0)),
        seen,
      )!.restartPending,
    ).to.equal(false);
    expect(replicaSetCode(related(replicaSet(before, 0)), seen)!.restartPending).to.equal(false);
    expect(replicaSetCode(related(), seen)!.restartPending).to.equal(false);
  });
});
