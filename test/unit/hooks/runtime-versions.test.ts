// Two webhook versions answering the same lambdas in turn, as during the webhook's own rollout
// (old and new replicas behind one Service) or a rollback: no pod template ever moves back and
// forth, a lambda never moves to an older runtime, and one on an older runtime moves forward only
// with a spec change, PYLAMBDA_RUNTIME_UPGRADE=immediate or its own opt-in annotation.
import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { CompositeResponse } from '../../../src/hooks/composite-types.js';
import type { HookContext } from '../../../src/hooks/hook-context.js';
import { syncPythonLambda } from '../../../src/hooks/pythonlambda-sync.js';
import { chooseRuntime, specHash } from '../../../src/hooks/runtime-choice.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import type { RuntimeRelease } from '../../../src/render/runtime-release.js';
import { helloSpec, TEST_RUNTIME, testHookContext } from '../../fixtures/lambda.js';
import { compositeRequest, pythonLambda } from '../../fixtures/metacontroller.js';
import { observeChildren } from '../../fixtures/observed.js';

const OLD: RuntimeRelease = { ...TEST_RUNTIME, version: '1.3.2', image: 'pylambda-runtime:1.3.2' };
const NEW: RuntimeRelease = TEST_RUNTIME; // 1.4.0
const oldWebhook = testHookContext({ runtime: OLD });
const newWebhook = testHookContext({ runtime: NEW });

type Parent = ReturnType<typeof pythonLambda>;

/** A lambda and what Metacontroller last created for it. */
class World {
  parent: Parent;
  observed: KubeObject[] = [];
  generation = 1;

  constructor(spec = helloSpec()) {
    this.parent = pythonLambda({ spec });
  }

  sync(ctx: HookContext): CompositeResponse {
    const response = syncPythonLambda(
      compositeRequest({ parent: this.parent, children: this.observed }),
      ctx,
    );
    this.observed = observeChildren(response.children as KubeObject[], this.parent, {
      deploymentGeneration: this.generation,
    });
    return response;
  }

  edit(spec: unknown, annotations: Record<string, string> = {}): void {
    this.generation += 1;
    this.parent = pythonLambda({ spec, generation: this.generation });
    this.parent.metadata.annotations = { ...this.parent.metadata.annotations, ...annotations };
  }
}

function deploymentOf(response: CompositeResponse): Deployment {
  return response.children.find((c) => c.kind === 'Deployment') as unknown as Deployment;
}

function template(response: CompositeResponse): PodTemplateSpec {
  return deploymentOf(response).spec!.template;
}

function runtimeOf(response: CompositeResponse): string | undefined {
  return template(response).metadata?.annotations?.['pylambda.dev/runtime-version'];
}

function ready(response: CompositeResponse) {
  return response.status.conditions!.find((c) => c.type === 'Ready')!;
}

describe('runtime versions across webhook versions', () => {
  for (const [first, label] of [
    [oldWebhook, 'created by the old webhook'],
    [newWebhook, 'created by the new webhook'],
  ] as const) {
    it(`never moves a pod template back and forth (${label}, then answered alternately)`, () => {
      const world = new World();
      const created = template(world.sync(first));
      for (let round = 0; round < 6; round += 1) {
        const ctx = round % 2 === 0 ? newWebhook : oldWebhook;
        expect(template(world.sync(ctx)), `round ${round}`).to.deep.equal(created);
      }
    });
  }

  it('moves a lambda to the new runtime with its next spec change, and never back', () => {
    const world = new World();
    expect(runtimeOf(world.sync(oldWebhook))).to.equal('1.3.2');
    expect(runtimeOf(world.sync(newWebhook)), 'no spec change: pinned').to.equal('1.3.2');
    world.edit(helloSpec({ timeoutSeconds: 12 }));
    const moved = world.sync(newWebhook);
    expect(runtimeOf(moved)).to.equal('1.4.0');
    expect(template(moved).spec!.initContainers![0]!.image).to.equal('pylambda-runtime:1.4.0');
    // The old webhook keeps what the new one applied, exactly; status names the runtime served.
    const kept = world.sync(oldWebhook);
    expect(template(kept)).to.deep.equal(template(moved));
    expect(kept.status.runtimeVersion).to.equal('1.4.0');
  });

  it('leaves a spec change on a newer runtime to a newer webhook, and says so', () => {
    const world = new World();
    const created = world.sync(newWebhook);
    world.edit(helloSpec({ code: 'def handler(event, context):\n    return 2\n' }));
    const waiting = world.sync(oldWebhook);
    expect(template(waiting)).to.deep.equal(template(created));
    expect(ready(waiting)).to.include({ status: 'False', reason: 'RuntimeNewer' });
    expect(ready(waiting).message)
      .to.contain('runs runtime 1.4.0, newer than this webhook')
      .and.to.contain('1.3.2');
    // The new webhook then rolls the change out.
    const rolled = world.sync(newWebhook);
    expect(template(rolled)).to.not.deep.equal(template(created));
    expect(runtimeOf(rolled)).to.equal('1.4.0');
  });

  it('never recreates a deleted Deployment on an older runtime than the lambda last ran', () => {
    const spec = helloSpec();
    let parent = pythonLambda({ spec });
    const created = syncPythonLambda(compositeRequest({ parent, children: [] }), newWebhook);
    parent = pythonLambda({ spec, status: created.status });
    const served = syncPythonLambda(
      compositeRequest({ parent, children: observeChildren(created.children, parent) }),
      newWebhook,
    );
    expect(served.status.runtimeVersion).to.equal('1.4.0');
    // The Deployment is deleted; the old webhook answers, twice (its status must keep the pin).
    const withoutDeployment = observeChildren(served.children, parent).filter(
      (c) => c.kind !== 'Deployment',
    );
    let status = served.status;
    for (let round = 0; round < 2; round += 1) {
      parent = pythonLambda({ spec, status });
      const waiting = syncPythonLambda(
        compositeRequest({ parent, children: withoutDeployment }),
        oldWebhook,
      );
      expect(
        waiting.children.some((c) => c.kind === 'Deployment'),
        `round ${round}`,
      ).to.equal(false);
      expect(ready(waiting)).to.include({ status: 'False', reason: 'RuntimeNewer' });
      expect(waiting.status.runtimeVersion).to.equal('1.4.0');
      status = waiting.status;
    }
    // A webhook of that version creates it again.
    parent = pythonLambda({ spec, status });
    const recreated = syncPythonLambda(
      compositeRequest({ parent, children: withoutDeployment }),
      newWebhook,
    );
    expect(runtimeOf(recreated)).to.equal('1.4.0');
  });

  it('follows a replica change on a pinned lambda without touching its pod template', () => {
    const world = new World();
    const created = world.sync(oldWebhook);
    world.edit(helloSpec({ replicas: 3 }));
    const scaled = world.sync(newWebhook);
    expect(deploymentOf(scaled).spec!.replicas).to.equal(3);
    expect(template(scaled)).to.deep.equal(template(created));
  });

  it('upgrades at once under PYLAMBDA_RUNTIME_UPGRADE=immediate, or for a lambda that opts in', () => {
    const eager = testHookContext({ runtime: { ...NEW, upgrade: 'immediate' } });
    const world = new World();
    world.sync(oldWebhook);
    expect(runtimeOf(world.sync(eager))).to.equal('1.4.0');

    const optIn = new World();
    optIn.sync(oldWebhook);
    optIn.edit(helloSpec(), { 'pylambda.dev/runtime-upgrade': 'always' });
    expect(runtimeOf(optIn.sync(newWebhook))).to.equal('1.4.0');
  });

  it('renders as usual a lambda whose template names no runtime (a new one, or an older release)', () => {
    const base = { own: NEW, specHash: specHash({}), optedIn: false };
    expect(chooseRuntime({ ...base, observed: undefined })).to.deep.equal({ kind: 'render' });
    expect(chooseRuntime({ ...base, observed: { template: { metadata: {} } } })).to.deep.equal({
      kind: 'render',
    });
    const bad = {
      template: { metadata: { annotations: { 'pylambda.dev/runtime-version': 'x' } } },
    };
    expect(chooseRuntime({ ...base, observed: bad })).to.deep.equal({ kind: 'render' });
  });

  it('hashes the spec without replicas, whatever the order of its keys', () => {
    expect(specHash({ code: 'x', replicas: 1 })).to.equal(specHash({ replicas: 5, code: 'x' }));
    expect(specHash({ code: 'x' })).to.not.equal(specHash({ code: 'y' }));
  });
});
