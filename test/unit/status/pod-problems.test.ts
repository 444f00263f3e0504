import { expect } from 'chai';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { KubeObject, ObjectMap } from '../../../src/metacontroller/objects.js';
import {
  currentPodsProblem,
  podProblemChangesAt,
  POD_GROUP,
  UNREADY_GRACE_SECONDS,
  withPodProblem,
} from '../../../src/status/pod-problems.js';

const NOW = new Date('2026-12-03T12:00:00Z');
const CURRENT = 'tmpl-new';

function pod(name: string, status: PodStatus, template = CURRENT, extra: object = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'demo',
      creationTimestamp: '2026-12-03T11:00:00Z',
      annotations: { 'pylambda.dev/template-hash': template },
      ...extra,
    },
    status,
  };
}

function related(...pods: Pod[]): ObjectMap {
  return {
    [POD_GROUP]: Object.fromEntries(
      pods.map((p) => [`demo/${p.metadata!.name}`, p as unknown as KubeObject]),
    ),
  };
}

const waiting = (reason: string, message?: string) => ({
  name: 'lambda',
  image: 'python:3.14-slim',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { waiting: { reason, ...(message ? { message } : {}) } },
});

function secondsAgo(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString();
}

describe('why the current pods do not turn ready (status/pod-problems)', () => {
  it('names an image the node cannot pull, with the kubelet’s message', () => {
    const problem = currentPodsProblem(
      related(
        pod('hello-1', {
          containerStatuses: [
            waiting('ImagePullBackOff', 'Back-off pulling image "python:3.14-slim"'),
          ],
        }),
      ),
      CURRENT,
      NOW,
    );
    expect(problem).to.equal(
      'pod hello-1: container lambda ImagePullBackOff: Back-off pulling image "python:3.14-slim"',
    );
  });

  it('names a failing init container (pip) with its exit code and message', () => {
    const problem = currentPodsProblem(
      related(
        pod('hello-1', {
          initContainerStatuses: [
            {
              ...waiting('CrashLoopBackOff', 'back-off 20s restarting failed container'),
              name: 'install-requirements',
              restartCount: 2,
              lastState: {
                terminated: {
                  exitCode: 1,
                  reason: 'Error',
                  message: 'ERROR: No matching distribution\nfound for nope==9',
                },
              },
            },
          ],
        }),
      ),
      CURRENT,
      NOW,
    );
    expect(problem).to.equal(
      'pod hello-1: init container install-requirements CrashLoopBackOff: back-off 20s restarting failed container (last exit code 1, Error: ERROR: No matching distribution found for nope==9)',
    );
  });

  it('keeps naming a failing init container while it runs again between back-offs', () => {
    const retrying = {
      ...waiting('CrashLoopBackOff'),
      name: 'install-requirements',
      restartCount: 3,
      state: { running: { startedAt: secondsAgo(2) } },
      lastState: {
        terminated: {
          exitCode: 1,
          reason: 'Error',
          message: 'No matching distribution found for nope==9',
        },
      },
    };
    expect(
      currentPodsProblem(
        related(pod('hello-1', { initContainerStatuses: [retrying] })),
        CURRENT,
        NOW,
      ),
    ).to.equal(
      'pod hello-1: init container install-requirements is retrying after 3 failed attempts (last exit code 1, Error: No matching distribution found for nope==9)',
    );
  });

  it('says nothing of an init container that failed once and then succeeded, nor of a main container running again after a crash', () => {
    const recovered = {
      ...waiting('CrashLoopBackOff'),
      name: 'install-requirements',
      restartCount: 1,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    };
    const restarted = {
      ...waiting('CrashLoopBackOff'),
      ready: true,
      restartCount: 1,
      state: { running: { startedAt: secondsAgo(60) } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
    };
    expect(
      currentPodsProblem(
        related(
          pod('hello-1', { initContainerStatuses: [recovered], containerStatuses: [restarted] }),
        ),
        CURRENT,
        NOW,
      ),
    ).to.equal(undefined);
  });

  it('says nothing of a native sidecar (an init container that always restarts) running again after a crash', () => {
    const sidecar = {
      ...waiting('CrashLoopBackOff'),
      name: 'proxy',
      restartCount: 1,
      state: { running: { startedAt: secondsAgo(5) } },
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
    };
    const withSidecar = pod('hello-1', { initContainerStatuses: [sidecar] });
    withSidecar.spec = {
      initContainers: [{ name: 'proxy', image: 'proxy:1', restartPolicy: 'Always' }],
      containers: [{ name: 'lambda', image: 'python:3.13-slim' }],
    };
    expect(currentPodsProblem(related(withSidecar), CURRENT, NOW)).to.equal(undefined);
    withSidecar.spec.initContainers![0]!.restartPolicy = undefined;
    expect(currentPodsProblem(related(withSidecar), CURRENT, NOW)).to.match(
      /^pod hello-1: init container proxy is retrying after 1 failed attempt \(/,
    );
  });

  it('names a pod no node can take', () => {
    const problem = currentPodsProblem(
      related(
        pod('hello-1', {
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/1 nodes are available: 1 Insufficient memory.',
            },
          ],
        }),
      ),
      CURRENT,
      NOW,
    );
    expect(problem).to.equal(
      'pod hello-1 cannot be scheduled: 0/1 nodes are available: 1 Insufficient memory.',
    );
  });

  it('says nothing of a runtime still within its first probe periods, then names it', () => {
    const running = (seconds: number) =>
      related(
        pod('hello-1', {
          containerStatuses: [
            {
              ...waiting('x'),
              state: { running: { startedAt: secondsAgo(seconds) } },
            },
          ],
        }),
      );
    expect(currentPodsProblem(running(UNREADY_GRACE_SECONDS - 1), CURRENT, NOW)).to.equal(
      undefined,
    );
    expect(currentPodsProblem(running(UNREADY_GRACE_SECONDS), CURRENT, NOW)).to.match(
      /^pod hello-1: the runtime has run 30s or more without turning ready .*kubectl logs hello-1 -c lambda\)$/,
    );
  });

  it('says when the clock alone changes that verdict: the earliest grace still running', () => {
    const runningFor = (name: string, seconds: number, ready = false) =>
      pod(name, {
        containerStatuses: [
          { ...waiting('x'), ready, state: { running: { startedAt: secondsAgo(seconds) } } },
        ],
      });
    const at = (...pods: Pod[]) => podProblemChangesAt(related(...pods), CURRENT, NOW);
    const graceMs = UNREADY_GRACE_SECONDS * 1000;
    expect(at(runningFor('a', 25), runningFor('b', 10))).to.equal(NOW.getTime() - 25_000 + graceMs);
    // Past its grace, ready, not running, or of another template: nothing left to change.
    expect(at(runningFor('a', UNREADY_GRACE_SECONDS))).to.equal(undefined);
    expect(at(runningFor('a', 5, true))).to.equal(undefined);
    expect(at(pod('a', { containerStatuses: [waiting('ContainerCreating')] }))).to.equal(undefined);
    expect(podProblemChangesAt(related(runningFor('a', 5)), 'tmpl-other', NOW)).to.equal(undefined);
    expect(podProblemChangesAt(undefined, CURRENT, NOW)).to.equal(undefined);
  });

  it('looks only at live pods of the current template, oldest first', () => {
    const pull = { containerStatuses: [waiting('ErrImagePull')] };
    const old = pod('hello-old', pull, 'tmpl-old');
    const going = pod('hello-going', pull, CURRENT, { deletionTimestamp: secondsAgo(1) });
    expect(currentPodsProblem(related(old, going), CURRENT, NOW)).to.equal(undefined);
    const young = pod('hello-b', pull, CURRENT, { creationTimestamp: '2026-12-03T11:30:00Z' });
    const elder = pod('hello-c', { containerStatuses: [waiting('CrashLoopBackOff')] });
    expect(currentPodsProblem(related(young, elder), CURRENT, NOW)).to.equal(
      'pod hello-c: container lambda CrashLoopBackOff',
    );
  });

  it('passes over a pod that ended for good (evicted), whose containers will not run again', () => {
    const evicted = pod(
      'hello-a',
      {
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory.',
        initContainerStatuses: [
          {
            name: 'install-requirements',
            image: 'python:3.14-slim',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 137, reason: 'Error' } },
          },
        ],
      },
      CURRENT,
      { creationTimestamp: '2026-12-01T08:00:00Z' },
    );
    expect(currentPodsProblem(related(evicted), CURRENT, NOW)).to.equal(undefined);
    const crashing = pod('hello-b', { containerStatuses: [waiting('CrashLoopBackOff')] });
    expect(currentPodsProblem(related(evicted, crashing), CURRENT, NOW)).to.equal(
      'pod hello-b: container lambda CrashLoopBackOff',
    );
  });

  it('orders pods by code point, not by the locale (the same answer on every machine)', () => {
    const pull = { containerStatuses: [waiting('ErrImagePull')] };
    const crash = { containerStatuses: [waiting('CrashLoopBackOff')] };
    // Same creation second: the name decides. 'Z' (U+005A) sorts before 'a' (U+0061) by code
    // point; ICU collation puts lower case first.
    const upper = pod('hello-Z', crash);
    const lower = pod('hello-a', pull);
    expect(currentPodsProblem(related(lower, upper), CURRENT, NOW)).to.equal(
      'pod hello-Z: container lambda CrashLoopBackOff',
    );
  });

  it('says nothing when the pods were not sent or are merely starting', () => {
    expect(currentPodsProblem(undefined, CURRENT, NOW)).to.equal(undefined);
    expect(currentPodsProblem({}, CURRENT, NOW)).to.equal(undefined);
    const creating = related(pod('hello-1', { containerStatuses: [waiting('ContainerCreating')] }));
    expect(currentPodsProblem(creating, CURRENT, NOW)).to.equal(undefined);
  });

  it('keeps a long message to one bounded line', () => {
    const problem = currentPodsProblem(
      related(pod('hello-1', { containerStatuses: [waiting('ErrImagePull', 'x\n'.repeat(400))] })),
      CURRENT,
      NOW,
    )!;
    expect(problem).to.not.include('\n');
    expect(problem.length).to.be.below(400);
  });

  it('explains a verdict about missing or unready pods, and no other', () => {
    const rolling = {
      type: 'Ready',
      status: 'False' as const,
      reason: 'RollingOut',
      message: '0 of 1 replicas of hello run the current code',
    };
    expect(withPodProblem(rolling, 'pod hello-1: container lambda ErrImagePull').message).to.equal(
      '0 of 1 replicas of hello run the current code; pod hello-1: container lambda ErrImagePull',
    );
    expect(withPodProblem(rolling, undefined)).to.equal(rolling);
    const conflict = { ...rolling, reason: 'NameConflict' };
    expect(withPodProblem(conflict, 'pod x: y')).to.equal(conflict);
  });

  it('explains a restart whose new pods do not start (the old ones still serve)', () => {
    const restarting = {
      type: 'Ready',
      status: 'True' as const,
      reason: 'Restarting',
      message: '2 of 3 replicas serve the current code at URL; its pods are being replaced',
    };
    expect(withPodProblem(restarting, 'pod hello-3: container lambda CrashLoopBackOff')).to.include(
      {
        message:
          '2 of 3 replicas serve the current code at URL; its pods are being replaced; pod hello-3: container lambda CrashLoopBackOff',
      },
    );
  });
});
