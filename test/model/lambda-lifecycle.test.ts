// A lambda's whole life, model-based: random sequences of what the user, Metacontroller, the
// Deployment controller and the kubelet do, with the real hook functions answering every sync
// (./support/lifecycle.ts says what each party does and which invariants hold after each step).
// A failure prints the seed and the shrunk, minimal sequence of steps.
import fc from 'fast-check';
import { expect } from 'chai';
import type { ApplyStrategy } from '../../src/lambda/code-size.js';
import { LambdaWorld, type WorldOptions } from './support/lifecycle.js';

type Model = Record<string, never>;
type Step = fc.Command<Model, LambdaWorld>;

function step(label: string, act: (world: LambdaWorld) => void): Step {
  return {
    check: () => true,
    run: (_model, world) => {
      world.tick();
      act(world);
      world.checkWorld();
    },
    toString: () => label,
  };
}

const pick = (n: number) => fc.nat({ max: n });

const steps = [
  // the user
  ...Array.from({ length: 2 }, () =>
    fc.boolean().map((good) => step(`push ${good ? 'good' : 'failing'} code`, (w) => w.push(good))),
  ),
  fc.constant(step('write an invalid spec', (w) => w.pushInvalid())),
  ...Array.from({ length: 2 }, () =>
    fc.integer({ min: 0, max: 3 }).map((n) => step(`scale to ${n}`, (w) => w.scale(n))),
  ),
  fc
    .constantFrom('Service', 'Deployment' as const)
    .map((kind) => step(`kubectl delete ${kind.toLowerCase()} hello`, (w) => w.deleteChild(kind))),
  fc.constantFrom('Service', 'Deployment' as const).map((kind) =>
    step(`someone creates their own ${kind} hello`, (w) => {
      if (w.options.customize !== false) w.addForeign(kind);
    }),
  ),
  fc.boolean().map((good) =>
    step(
      `someone takes the next code's ConfigMap name, then ${good ? 'good' : 'failing'} code is pushed`,
      (w) => {
        if (w.options.customize !== false) w.pushOntoForeignConfigMap(good);
        else w.push(good);
      },
    ),
  ),
  fc.constant(step('kubectl label the Service', (w) => w.labelService())),
  fc.constant(step('kubectl rollout restart deployment/hello', (w) => w.rolloutRestart())),
  fc.constant(step('delete the lambda', (w) => w.deleteLambda())),
  // Metacontroller, several times as likely as anything else
  ...Array.from({ length: 4 }, () =>
    fc.constant(step('Metacontroller syncs', (w) => void w.sync())),
  ),
  // the controllers and the kubelet
  ...Array.from({ length: 3 }, () =>
    fc.constant(
      step('the Deployment controller syncs', (w) => w.cluster.deploymentControllerSync()),
    ),
  ),
  ...Array.from({ length: 3 }, () =>
    fc.constant(
      step('the ReplicaSet controller syncs', (w) => w.cluster.replicaSetControllerSync()),
    ),
  ),
  ...Array.from({ length: 3 }, () =>
    pick(5).map((i) =>
      step(`pod #${i} that can start turns ready`, (w) => {
        const pods = w.cluster.startablePods();
        if (pods.length > 0) w.cluster.markReady(pods[i % pods.length]!);
      }),
    ),
  ),
  pick(5).map((i) =>
    step(`pod #${i} is evicted`, (w) => {
      const pods = w.cluster.allPods();
      if (pods.length > 0) w.cluster.evict(pods[i % pods.length]!.pod);
    }),
  ),
  // A moment of everything: Metacontroller, both controllers, and the pods that can start.
  ...Array.from({ length: 4 }, () =>
    fc.constant(
      step('a round: sync, controllers, pods turn ready', (w) => {
        w.sync();
        w.cluster.deploymentControllerSync();
        w.cluster.replicaSetControllerSync();
        const pods = w.cluster.startablePods();
        if (pods.length > 0) w.cluster.markReady(pods[0]!);
        w.cluster.deploymentControllerSync();
      }),
    ),
  ),
  fc.constant(
    step('every pod crashes (fails its readiness probe)', (w) => {
      for (const { pod } of w.cluster.allPods()) pod.ready = false;
      w.cluster.deploymentControllerSync();
    }),
  ),
  fc.constant(
    step('the rollout passes its progress deadline', (w) => {
      w.cluster.deadlineExceeded = true;
    }),
  ),
  fc.boolean().map((on) =>
    step(`the pod quota is ${on ? 'exhausted' : 'raised'}`, (w) => {
      w.cluster.quotaExhausted = on;
    }),
  ),
];

/**
 * With the customize hook, as config/controllers installs it. PYLAMBDA_MODEL_CUSTOMIZE=off runs
 * the fallback without it (no foreign objects then: nothing can see them before they are hit).
 */
const withCustomize = process.env.PYLAMBDA_MODEL_CUSTOMIZE !== 'off';
const worlds = fc.record<WorldOptions>({
  strategy: fc.constantFrom<ApplyStrategy>('dynamic-apply', 'server-side-apply'),
  version: fc.constantFrom('v1', 'v2'),
  foreign: withCustomize
    ? fc.constantFrom('none', 'none', 'Service', 'Deployment')
    : fc.constant('none'),
  customize: fc.constant(withCustomize),
});

/** Runs per `make test`: thousands of sequences in a few tens of seconds at most. */
const RUNS = Number(process.env.PYLAMBDA_MODEL_RUNS ?? 1500);

describe('a lambda’s life (model-based)', function () {
  this.timeout(120_000);

  it('keeps serving code, tells the truth in Ready and takes nothing over, whatever happens', () => {
    fc.assert(
      fc.property(worlds, fc.commands(steps, { maxCommands: 40 }), (options, commands) => {
        const world = new LambdaWorld(options);
        fc.modelRun(() => ({ model: {}, real: world }), commands);
        // Left alone, a valid lambda with good code and no conflict ends up Ready.
        const last = world.settle();
        if (!last || world.deleted) return;
        const ready = last.status.conditions![0]!;
        if (
          world.specValid &&
          world.lastPushGood &&
          world.conflicts().length === 0 &&
          !world.cluster.quotaExhausted
        ) {
          expect(ready.status, `${ready.reason}: ${ready.message}`).to.equal('True');
        } else if (world.conflicts().length > 0 && world.specValid) {
          expect(ready.reason).to.equal('NameConflict');
        }
      }),
      { numRuns: RUNS },
    );
  });
});
