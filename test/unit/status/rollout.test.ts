import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
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

function verdict(want: Deployment, seen: Deployment | undefined) {
  return rolloutVerdict({ desired: want, observed: seen, url: URL });
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
      message: '1 of 2 replicas of hello run the current code',
    });
  });

  it('RollingOut while old replicas are left', () => {
    const seen = observed(desired(2), 'rolled-out', 2);
    seen.status = { ...seen.status, replicas: 3, updatedReplicas: 2, availableReplicas: 3 };
    expect(verdict(desired(2), seen)).to.deep.equal({
      type: 'Ready',
      status: 'False',
      reason: 'RollingOut',
      message: '1 old replicas of hello are still terminating',
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
      message: '1 of 2 updated replicas of hello are available',
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
      message: '1 old replicas of hello are still terminating',
    });
  });
});
