import { expect } from 'chai';
import { renderDisruptionBudget } from '../../../src/render/disruption-budget.js';
import { commonLabels, selectorLabels } from '../../../src/render/labels.js';
import type { PythonLambdaSpec } from '../../../src/generated/pythonlambda-spec.js';
import { helloSpec, lambdaSpec } from '../../fixtures/lambda.js';

const budgetFor = (extra: Partial<PythonLambdaSpec>) =>
  renderDisruptionBudget(lambdaSpec(helloSpec(extra)));

describe('the lambda PodDisruptionBudget', () => {
  it('is exactly this for 2 replicas: one pod evicted at a time, unready pods always evictable', () => {
    expect(budgetFor({ replicas: 2 })).to.deep.equal({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'hello', namespace: 'demo', labels: commonLabels('hello') },
      spec: {
        maxUnavailable: 1,
        selector: { matchLabels: selectorLabels('hello') },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  });

  it('is not rendered for a lambda that can only have one replica (or none)', () => {
    expect(budgetFor({})).to.equal(undefined);
    expect(budgetFor({ replicas: 0 })).to.equal(undefined);
    expect(
      budgetFor({
        replicas: 3,
        autoscaling: { minReplicas: 1, maxReplicas: 1, targetCPUUtilizationPercentage: 50 },
      }),
    ).to.equal(undefined);
  });

  it('follows autoscaling.maxReplicas, not the replicas the autoscaler set last', () => {
    const autoscaling = { maxReplicas: 4, targetCPUUtilizationPercentage: 50 };
    const atOne = budgetFor({ replicas: 1, autoscaling });
    expect(atOne).to.deep.equal(budgetFor({ replicas: 4, autoscaling }));
    expect(atOne!.spec!.maxUnavailable).to.equal(1);
  });

  it('takes maxUnavailable or minAvailable from spec.disruptionBudget, and goes when turned off', () => {
    expect(budgetFor({ replicas: 4, disruptionBudget: { maxUnavailable: '25%' } })!.spec)
      .to.include({ maxUnavailable: '25%' })
      .and.not.have.property('minAvailable');
    expect(budgetFor({ replicas: 4, disruptionBudget: { minAvailable: 3 } })!.spec)
      .to.include({ minAvailable: 3 })
      .and.not.have.property('maxUnavailable');
    expect(budgetFor({ replicas: 4, disruptionBudget: { enabled: false } })).to.equal(undefined);
  });
});
