// A lambda's life in scripted request sequences, as Metacontroller and the Deployment controller
// would produce them (test/model/support: the same small model the model-based test runs at
// random), under both apply strategies, both hook API versions, with and without the customize
// hook's related objects. Each scenario failed on the earlier retention and Ready rules.
import { expect } from 'chai';
import type { CompositeResponse } from '../../../src/hooks/composite-types.js';
import type { ApplyStrategy } from '../../../src/lambda/code-size.js';
import { rfc3339 } from '../../../src/status/transition-time.js';
import { LambdaWorld, MAX_CODE_CONFIGMAPS } from '../../model/support/lifecycle.js';

type Condition = NonNullable<CompositeResponse['status']['conditions']>[number];

function ready(response: CompositeResponse | undefined): Condition {
  return response!.status.conditions!.find((c) => c.type === 'Ready')!;
}

/** Sync, both controllers, and (if `podsTurnReady`) every pod that can start turns ready. */
function round(world: LambdaWorld, podsTurnReady = true): CompositeResponse {
  world.tick();
  const response = world.sync()!;
  world.cluster.deploymentControllerSync();
  world.cluster.replicaSetControllerSync();
  if (podsTurnReady) for (const pod of world.cluster.startablePods()) world.cluster.markReady(pod);
  world.cluster.deploymentControllerSync();
  world.checkWorld();
  return response;
}

function rounds(world: LambdaWorld, n: number): CompositeResponse[] {
  return Array.from({ length: n }, () => round(world));
}

/** "3 of 2 replicas serve": more serving than the Deployment has is never said. */
function countsAreCoherent(message: string): boolean {
  const match = /(\d+) of (\d+) replicas? serve/.exec(message);
  return !match || Number(match[1]) <= Number(match[2]);
}

const STRATEGIES: ApplyStrategy[] = ['dynamic-apply', 'server-side-apply'];
const VERSIONS = ['v1', 'v2'] as const;

for (const strategy of STRATEGIES) {
  for (const version of VERSIONS) {
    for (const customize of [true, false]) {
      const label = `${strategy}, hook API ${version}, ${customize ? 'with' : 'without'} customize`;

      describe(`a lambda's life (${label})`, () => {
        const newWorld = (foreign: 'none' | 'Service' = 'none') =>
          new LambdaWorld({ strategy, version, foreign, customize });

        it('keeps the serving code through four failed pushes; an evicted old pod starts again', () => {
          const world = newWorld();
          world.scale(2);
          rounds(world, 6);
          const served = world.parent.status!.codeHash as string;
          expect(world.parent.status!.servedCodeHash).to.equal(served);
          for (let n = 0; n < 4; n += 1) {
            world.push(false);
            rounds(world, 4);
          }
          const status = world.parent.status!;
          expect(status.servedCodeHash, 'what serves').to.equal(served);
          expect(status.codeHash, 'what is wanted').to.not.equal(served);
          const v1 = `hello-code-${served.slice(0, 10)}`;
          expect(world.cluster.get('ConfigMap', v1), 'the serving ConfigMap').to.not.equal(
            undefined,
          );
          // An eviction: the old ReplicaSet recreates its pod, which mounts its code and serves.
          const old = world.cluster.allPods().find(({ rs }) => rs.configMap === v1)!;
          world.cluster.evict(old.pod);
          rounds(world, 2);
          const again = world.cluster.allPods().filter(({ rs }) => rs.configMap === v1);
          expect(again.length).to.equal(2);
          expect(again.every(({ pod }) => pod.ready)).to.equal(true);
          expect(ready(round(world))).to.include({ status: 'False', reason: 'RollingOut' });
        });

        it('lets failed pushes go: at most a bounded number of code ConfigMaps', () => {
          const world = newWorld();
          rounds(world, 4);
          for (let n = 0; n < 10; n += 1) {
            world.push(false);
            rounds(world, 2);
            const configMaps = [...world.cluster.objects.values()].filter(
              (o) => o.kind === 'ConfigMap',
            );
            expect(configMaps.length).to.be.at.most(MAX_CODE_CONFIGMAPS);
          }
        });

        it('a pure scale change with the current code serving never flips Ready', () => {
          const world = newWorld();
          world.scale(2);
          rounds(world, 6);
          expect(ready(round(world)).status).to.equal('True');
          const since = ready(round(world)).lastTransitionTime;
          for (const replicas of [1, 3, 2, 0]) {
            world.scale(replicas);
            for (const response of rounds(world, 5)) {
              const condition = ready(response);
              expect(condition.status, `${replicas}: ${condition.message}`).to.equal('True');
              expect(condition.lastTransitionTime).to.equal(since);
              expect(countsAreCoherent(condition.message), condition.message).to.equal(true);
              if (condition.reason === 'ScaledToZero') {
                expect(world.cluster.allPods(), 'ScaledToZero while a pod runs').to.have.length(0);
              }
            }
          }
          expect(ready(round(world)).reason).to.equal('ScaledToZero');
        });

        it('a scale from zero, or every pod crashing, is Unavailable until a pod is back, however many resyncs', () => {
          const world = newWorld();
          world.scale(0);
          rounds(world, 6);
          expect(ready(round(world)).reason).to.equal('ScaledToZero');
          world.scale(3);
          const seen: string[] = [];
          for (let n = 0; n < 4; n += 1) seen.push(ready(round(world, false)).reason);
          expect(seen, 'no pod ready yet').to.deep.equal(Array(4).fill('Unavailable'));
          world.cluster.markReady(world.cluster.startablePods()[0]!);
          world.cluster.deploymentControllerSync();
          expect(ready(round(world, false))).to.include({
            status: 'True',
            reason: 'PartlyAvailable',
          });
          rounds(world, 3);
          expect(ready(round(world)).reason).to.equal('Available');
          for (const { pod } of world.cluster.allPods()) pod.ready = false;
          world.cluster.deploymentControllerSync();
          for (let n = 0; n < 3; n += 1) {
            expect(ready(round(world, false)).reason, `resync ${n}`).to.equal('Unavailable');
          }
          world.cluster.markReady(world.cluster.allPods()[0]!.pod);
          world.cluster.deploymentControllerSync();
          expect(ready(round(world, false)).reason).to.equal('PartlyAvailable');
        });

        it('dates a flip with the clock at the flip, and keeps the time while nothing flips', () => {
          const world = newWorld();
          const first = round(world, false);
          expect(ready(first)).to.include({
            status: 'False',
            lastTransitionTime: rfc3339(world.clockMs),
          });
          world.tick(3600);
          round(world, false);
          expect(ready(round(world, false)).lastTransitionTime, 'no flip').to.equal(
            ready(first).lastTransitionTime,
          );
          world.tick(86400);
          let flipped: CompositeResponse | undefined;
          for (let n = 0; n < 4 && !flipped; n += 1) {
            const response = round(world);
            if (ready(response).status === 'True') flipped = response;
          }
          expect(ready(flipped)).to.include({
            status: 'True',
            lastTransitionTime: rfc3339(world.clockMs),
          });
        });

        // The ReplicaSets (which only the customize hook brings) show a restart's pods run the
        // current code; without them Ready stays as conservative as before.
        if (customize) {
          it('a rollout restart of a served lambda keeps Ready True (Restarting), never "older code"', () => {
            const world = newWorld();
            world.scale(2);
            rounds(world, 6);
            const since = ready(round(world)).lastTransitionTime;
            expect(ready(round(world)).reason).to.equal('Available');
            const before = world.cluster.allPods().map(({ pod }) => pod.name);
            world.tick();
            world.rolloutRestart();
            // Metacontroller may sync before the Deployment controller has seen the restart.
            expect(ready(world.sync())).to.deep.include({
              status: 'True',
              reason: 'Restarting',
              message:
                'the current code serves at http://hello.demo.svc.cluster.local:8080; waiting for the Deployment controller to replace the pods of hello (a restart)',
            });
            const reasons = new Set<string>();
            for (let n = 0; n < 6; n += 1) {
              world.tick();
              world.cluster.deploymentControllerSync();
              world.cluster.replicaSetControllerSync();
              const condition = ready(world.sync());
              reasons.add(condition.reason);
              expect(condition.status, condition.message).to.equal('True');
              expect(condition.lastTransitionTime).to.equal(since);
              expect(condition.message).to.not.include('older code');
              expect(countsAreCoherent(condition.message), condition.message).to.equal(true);
              const pod = world.cluster.startablePods()[0];
              if (pod) world.cluster.markReady(pod);
            }
            expect([...reasons]).to.include('Restarting');
            rounds(world, 3);
            expect(ready(round(world))).to.include({
              reason: 'Available',
              lastTransitionTime: since,
            });
            const after = world.cluster.allPods().map(({ pod }) => pod.name);
            expect(after, 'every pod replaced').to.have.length(2);
            expect(after.filter((name) => before.includes(name))).to.deep.equal([]);
          });
        }

        it('is not Ready without its Service, and says which one is missing', () => {
          const world = newWorld();
          rounds(world, 4);
          expect(ready(round(world)).status).to.equal('True');
          world.deleteChild('Service');
          const response = world.sync()!;
          expect(ready(response)).to.deep.include({
            status: 'False',
            reason: 'Creating',
            message: 'waiting for Service demo/hello to be created',
          });
          expect(ready(round(world)).status, 'made again').to.equal('True');
        });

        // Without the customize hook a server-side apply cannot be kept from taking over.
        if (customize || strategy === 'dynamic-apply') {
          it('never takes over a Service someone else made under its name', () => {
            const world = newWorld('Service');
            const responses = rounds(world, 4);
            const theirs = world.cluster.get('Service', 'hello')!;
            expect(theirs.metadata.ownerReferences, 'no owner reference added').to.equal(undefined);
            expect(theirs.spec).to.deep.equal({
              selector: { app: 'theirs' },
              ports: [{ port: 80 }],
            });
            for (const response of responses.slice(1)) {
              expect(ready(response).status).to.equal('False');
            }
            const last = ready(responses.at(-1));
            if (customize) {
              for (const response of responses) {
                expect(response.children.map((c) => c.kind)).to.not.include('Service');
              }
              expect(last.reason).to.equal('NameConflict');
              expect(last.message).to.contain(
                'Service demo/hello already exists and is not owned by this lambda',
              );
              expect(responses.at(-1)!.status.url, 'no URL to someone else’s pods').to.equal(
                undefined,
              );
            } else {
              expect(last).to.include({
                reason: 'Creating',
                message: 'waiting for Service demo/hello to be created',
              });
            }
          });
        }
      });
    }
  }
}
