import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { deploymentView } from '../../../src/status/deployment-view.js';
import type { ReplicaSetCode } from '../../../src/status/replica-set-code.js';
import { rolloutVerdict } from '../../../src/status/rollout.js';
import { helloSpec, lambdaSpec, lambdaDeployment } from '../../fixtures/lambda.js';
import { pythonLambda } from '../../fixtures/metacontroller.js';
import { observeChild, type DeploymentState } from '../../fixtures/observed.js';

const URL = 'http://hello.demo.svc.cluster.local:8080';
const parent = pythonLambda({ spec: helloSpec() });

function desired(replicas = 2, code = 'def handler(e, c):\n    return 1\n'): Deployment {
  return lambdaDeployment(lambdaSpec(helloSpec({ code, replicas })));
}

function observed(d: Deployment, state: DeploymentState, generation = 1): Deployment {
  return observeChild(d as KubeObject, parent, {
    deployment: state,
    deploymentGeneration: generation,
  }) as Deployment;
}

function verdict(want: Deployment, seen: Deployment | undefined, currentCodeServed = false) {
  return rolloutVerdict({
    desired: want,
    observed: seen && deploymentView(seen),
    url: URL,
    currentCodeServed,
  });
}

describe('rollout verdicts (Ready from the observed Deployment)', () => {
  it('Creating while there is no Deployment yet', () => {
    expect(verdict(desired(), undefined)).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'Creating',
      message: 'waiting for Deployment hello to be created',
    });
  });

  it('RollingOut while the Deployment runs another pod template (old code)', () => {
    const want = desired(2, 'def handler(e, c):\n    return 2\n');
    const wanted = want.spec!.template.metadata!.annotations!['pylambda.dev/template-hash'];
    expect(verdict(want, observed(desired(2), 'rolled-out'))).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'RollingOut',
      message: `Deployment hello is being updated to pod template ${wanted}`,
    });
  });

  it('RollingOut for a template without our hash annotation at all', () => {
    const seen = observed(desired(), 'rolled-out');
    delete seen.spec!.template.metadata!.annotations!['pylambda.dev/template-hash'];
    expect(verdict(desired(), seen).reason).to.equal('RollingOut');
  });

  it('RollingOut while the Deployment controller has not observed the latest generation', () => {
    const seen = observed(desired(), 'rolled-out', 3);
    seen.status!.observedGeneration = 2;
    expect(verdict(desired(), seen)).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'RollingOut',
      message: 'waiting for the Deployment controller to observe generation 3 of hello',
    });
  });

  it('RollingOut right after creation, before the Deployment controller wrote any status', () => {
    expect(verdict(desired(), observed(desired(), 'created'))).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'RollingOut',
      message: 'waiting for the Deployment controller to observe generation 1 of hello',
    });
  });

  it('RollingOut while fewer updated replicas than desired exist', () => {
    expect(verdict(desired(2), observed(desired(2), 'rolling', 2))).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'RollingOut',
      message:
        '1 of 2 replicas of hello run the current code; 2 replicas with older code still running',
    });
  });

  it('RollingOut while old replicas are left', () => {
    const seen = observed(desired(2), 'rolled-out', 2);
    seen.status = { ...seen.status, replicas: 3, updatedReplicas: 2, availableReplicas: 3 };
    expect(verdict(desired(2), seen)).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'RollingOut',
      message:
        '2 of 2 replicas of hello run the current code; 1 replica with older code still running',
    });
  });

  it('RollingOut while updated replicas are not yet available', () => {
    const seen = observed(desired(2), 'rolled-out', 2);
    seen.status = {
      ...seen.status,
      availableReplicas: 1,
      readyReplicas: 1,
      unavailableReplicas: 1,
    };
    expect(verdict(desired(2), seen)).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'RollingOut',
      message: '1 of 2 replicas of hello with the current code are available',
    });
  });

  it('RolloutStalled past the progress deadline, with the Deployment controller’s message', () => {
    expect(verdict(desired(2), observed(desired(2), 'stalled', 2))).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'RolloutStalled',
      message: 'Deployment hello: ReplicaSet "hello-5c4b3a2f1" has timed out progressing.',
    });
  });

  it('Available once every updated replica of the current template is available', () => {
    expect(verdict(desired(2), observed(desired(2), 'rolled-out', 4))).to.deep.equal({
      type: 'Ready',
      status: 'True',
      reason: 'Available',
      message: `2 of 2 replicas serve the current code at ${URL}`,
    });
  });

  it('ScaledToZero (Ready) when zero replicas are wanted and none are left', () => {
    expect(verdict(desired(0), observed(desired(0), 'rolled-out'))).to.deep.equal({
      type: 'Ready',
      status: 'True',
      reason: 'ScaledToZero',
      message: `scaled to zero; ${URL} answers once replicas > 0`,
    });
  });

  it('not ScaledToZero while old pods still run', () => {
    const seen = observed(desired(0), 'rolled-out');
    seen.status = { ...seen.status, replicas: 1, availableReplicas: 1 };
    expect(verdict(desired(0), seen)).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'RollingOut',
      message:
        '0 of 0 replicas of hello run the current code; 1 replica with older code still running',
    });
  });

  it('not ScaledToZero while a pod of the current code still runs, before it ever served', () => {
    const going = observed(desired(0), 'rolled-out', 2);
    going.status = { ...going.status, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };
    expect(verdict(desired(0), going)).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'RollingOut',
      message: '1 replica of hello still running; scaling to 0',
    });
  });

  describe('pods still terminating (status.terminatingReplicas)', () => {
    function terminating(d: Deployment, n: number, generation = 2): Deployment {
      const seen = observed(d, 'rolled-out', generation);
      seen.status = { ...seen.status, terminatingReplicas: n } as Deployment['status'];
      return seen;
    }

    it('a rollout is not done while an old pod still drains: RollingOut, not Ready', () => {
      expect(verdict(desired(2), terminating(desired(2), 1))).to.deep.equal({
        type: 'Ready',
        status: 'False',
        reason: 'RollingOut',
        message:
          '1 replica of hello still stopping (they may answer with older code until they are gone)',
      });
      expect(verdict(desired(2), terminating(desired(2), 0))).to.include({ reason: 'Available' });
    });

    it('with the current code serving, a pod stopping after a scale-down keeps Ready', () => {
      expect(verdict(desired(1), terminating(desired(1), 1), true)).to.include({
        status: 'True',
        reason: 'Available',
      });
    });

    it('not ScaledToZero while the last pod still drains', () => {
      expect(verdict(desired(0), terminating(desired(0), 1), true)).to.deep.equal({
        type: 'Ready',
        status: 'True',
        reason: 'Scaling',
        message: `0 of 0 replicas serve the current code at ${URL}; scaling to 0`,
      });
      expect(verdict(desired(0), terminating(desired(0), 0), true)).to.include({
        reason: 'ScaledToZero',
      });
    });

    it('an older API server without the field counts none', () => {
      expect(deploymentView(observed(desired(2), 'rolled-out')).terminating).to.equal(0);
    });
  });

  describe('a change of replicas judged on the Deployment the controller runs', () => {
    it('2 -> 1 with the current code serving: still Ready, Scaling, never "2 of 1"', () => {
      // The desired Deployment says 1; the observed one still says 2 (not applied yet).
      const seen = observed(desired(2), 'rolled-out', 2);
      expect(verdict(desired(1), seen, true)).to.deep.equal({
        type: 'Ready',
        status: 'True',
        reason: 'Scaling',
        message: `2 of 2 replicas serve the current code at ${URL}; scaling to 1`,
      });
      // Applied, not yet observed by the Deployment controller: still Ready.
      const applied = observed(desired(1), 'rolled-out', 3);
      applied.status!.observedGeneration = 2;
      expect(verdict(desired(1), applied, true)).to.include({ status: 'True', reason: 'Scaling' });
      // Observed, one pod going.
      const going = observed(desired(1), 'rolled-out', 3);
      going.status = { ...going.status, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
      expect(verdict(desired(1), going, true)).to.include({ status: 'True', reason: 'Scaling' });
      expect(verdict(desired(1), observed(desired(1), 'rolled-out', 3), true)).to.include({
        status: 'True',
        reason: 'Available',
      });
    });

    it('1 -> 0: not ScaledToZero while a pod still runs, and no flip to False on the way', () => {
      const going = observed(desired(0), 'rolled-out', 2);
      going.status = { ...going.status, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };
      expect(verdict(desired(0), going, true)).to.deep.equal({
        type: 'Ready',
        status: 'True',
        reason: 'Scaling',
        message: `1 of 1 replica serve the current code at ${URL}; scaling to 0`,
      });
      expect(verdict(desired(0), observed(desired(0), 'rolled-out', 2), true)).to.include({
        reason: 'ScaledToZero',
      });
    });

    it('a scale from zero is Unavailable, counting the replicas it scales to', () => {
      // The Deployment still says 0 (the answer not applied yet): never "none of the 0".
      expect(verdict(desired(3), observed(desired(0), 'rolled-out', 2), true)).to.deep.equal({
        type: 'Ready',
        status: 'False',
        reason: 'Unavailable',
        message:
          'no replica of hello is available yet (scaling to 3); the current code rolled out before, so its pods are starting, crashing or failing their readiness probe',
      });
    });

    it('a scale-up keeps Ready while the new replicas start', () => {
      const up = observed(desired(3), 'rolled-out', 2);
      up.status = { ...up.status, replicas: 3, updatedReplicas: 3, availableReplicas: 1 };
      expect(verdict(desired(3), up, true)).to.deep.equal({
        type: 'Ready',
        status: 'True',
        reason: 'PartlyAvailable',
        message: `1 of 3 replicas serve the current code at ${URL}; 2 not available (starting, crashing or failing their readiness probe)`,
      });
    });

    it('before the current code ever served everywhere, a scale is part of the rollout', () => {
      const seen = observed(desired(2), 'rolled-out', 2);
      expect(verdict(desired(1), seen)).to.deep.equal({
        type: 'Ready',
        status: 'False',
        reason: 'RollingOut',
        message: 'waiting for Deployment hello to be scaled to 1',
      });
    });
  });

  describe('what really happens, in the message', () => {
    it('ReplicaFailure (quota, admission) at once, with the Deployment controller’s message', () => {
      const seen = observed(desired(2), 'rolling', 2);
      seen.status!.conditions!.push({
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: 'pods "hello-5c4b3a2f1-x" is forbidden: exceeded quota: compute',
      });
      seen.status = { ...seen.status, replicas: 2, updatedReplicas: 0 };
      expect(verdict(desired(2), seen)).to.deep.equal({
        type: 'Ready',
        status: 'False',
        reason: 'RollingOut',
        message:
          '0 of 2 replicas of hello run the current code; 2 replicas with older code still running',
      });
      seen.status = { ...seen.status, replicas: 0, updatedReplicas: 0, availableReplicas: 0 };
      expect(verdict(desired(2), seen)).to.deep.equal({
        type: 'Ready',
        status: 'False',
        reason: 'ReplicaFailure',
        message:
          'Deployment hello cannot create pods: FailedCreate: pods "hello-5c4b3a2f1-x" is forbidden: exceeded quota: compute',
      });
    });

    it('a crash loop after a finished rollout is not called RollingOut', () => {
      const crashing = observed(desired(2), 'rolled-out', 2);
      crashing.status = { ...crashing.status, availableReplicas: 0, readyReplicas: 0 };
      expect(verdict(desired(2), crashing, true)).to.deep.equal({
        type: 'Ready',
        status: 'False',
        reason: 'Unavailable',
        message:
          'none of the 2 replicas of hello is available; the current code rolled out before, so its pods are starting, crashing or failing their readiness probe',
      });
      crashing.status = { ...crashing.status, availableReplicas: 1 };
      expect(verdict(desired(2), crashing, true)).to.deep.equal({
        type: 'Ready',
        status: 'True',
        reason: 'PartlyAvailable',
        message: `1 of 2 replicas serve the current code at ${URL}; 1 not available (starting, crashing or failing their readiness probe)`,
      });
    });
  });

  describe('kubectl rollout restart, judged on the ReplicaSets (the customize hook sends them)', () => {
    // A restart of 2 replicas mid-way: one pod of the new ReplicaSet, the 2 older ones of the
    // same code still serving, as the Deployment controller's counts show it.
    function restarting(generation = 3): Deployment {
      const seen = observed(desired(2), 'rolled-out', generation);
      seen.status = { ...seen.status, replicas: 3, updatedReplicas: 1, availableReplicas: 2 };
      return seen;
    }

    function judged(seen: Deployment, code: ReplicaSetCode | undefined, served: boolean) {
      return rolloutVerdict({
        desired: desired(2),
        observed: deploymentView(seen, code),
        url: URL,
        currentCodeServed: served,
      });
    }

    const sameCode: ReplicaSetCode = { olderCodePods: 0, restartPending: false };

    it('a served lambda stays Ready while its pods are replaced, and says so', () => {
      expect(judged(restarting(), sameCode, true)).to.deep.equal({
        type: 'Ready',
        status: 'True',
        reason: 'Restarting',
        message: `2 of 3 replicas serve the current code at ${URL}; its pods are being replaced (a restart), 1 of 2 so far`,
      });
      // Without ReplicaSets in the request (older installs), as before: not updated is older.
      expect(judged(restarting(), undefined, true)).to.deep.equal({
        type: 'Ready',
        status: 'False',
        reason: 'RollingOut',
        message:
          '1 of 2 replicas of hello run the current code; 2 replicas with older code still running',
      });
    });

    it('before the Deployment controller acted on the restart: Restarting, not Scaling', () => {
      const seen = observed(desired(2), 'rolled-out', 3);
      seen.status!.observedGeneration = 2;
      expect(judged(seen, { olderCodePods: 0, restartPending: true }, true)).to.deep.equal({
        type: 'Ready',
        status: 'True',
        reason: 'Restarting',
        message: `the current code serves at ${URL}; waiting for the Deployment controller to replace the pods of hello (a restart)`,
      });
      // A scale not yet observed is still a scale.
      expect(judged(seen, sameCode, true)).to.include({ reason: 'Scaling' });
    });

    it('pods of other code in an older ReplicaSet (kubectl set image) keep RollingOut', () => {
      expect(judged(restarting(), { olderCodePods: 2, restartPending: false }, true)).to.deep.equal(
        {
          type: 'Ready',
          status: 'False',
          reason: 'RollingOut',
          message:
            '1 of 2 replicas of hello run the current code; 2 replicas with older code still running',
        },
      );
    });

    it('a restart before the first rollout finished stays RollingOut, never naming older code', () => {
      expect(judged(restarting(), sameCode, false)).to.deep.equal({
        type: 'Ready',
        status: 'False',
        reason: 'RollingOut',
        message:
          '1 of 2 replicas of hello run the current pod template; 2 replicas of the same code still being replaced (a restart)',
      });
      const done = observed(desired(2), 'rolled-out', 3);
      done.status = { ...done.status, replicas: 3, updatedReplicas: 2, availableReplicas: 3 };
      expect(judged(done, sameCode, false)).to.include({ status: 'False', reason: 'RollingOut' });
    });
  });
});
