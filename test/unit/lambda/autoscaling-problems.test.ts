// The hook refuses exactly what the CRD refuses for autoscaling, disruption budgets and spread:
// the same table of specs runs here and against a real API server in e2e.
import { expect } from 'chai';
import { autoscalingProblems } from '../../../src/lambda/autoscaling-problems.js';
import { pythonLambdaSpec } from '../../../src/lambda/python-lambda-spec.js';
import { helloSpec, specValidator } from '../../fixtures/lambda.js';
import { specTable } from '../../fixtures/spec-tables.js';

const cases = specTable('autoscaling-specs');

function validate(extra: Record<string, unknown>) {
  return pythonLambdaSpec({ name: 'hello', namespace: 'demo' }, helloSpec(extra), specValidator());
}

describe('autoscaling, disruption budget and spread rules (the table the CRD is held to in e2e)', () => {
  for (const c of cases.refused) {
    it(`refuses ${c.what}, naming ${c.field}`, () => {
      const result = validate(c.spec);
      expect(result.ok, c.what).to.equal(false);
      if (result.ok) return;
      const paths = result.problems.map((p) => p.path);
      expect(
        paths.some((path) => path === c.field || path.startsWith(`${c.field}.`)),
        JSON.stringify(result.problems),
      ).to.equal(true);
    });
  }
  for (const c of cases.accepted) {
    it(`accepts ${c.what}`, () => {
      const result = validate(c.spec);
      expect(result.ok, JSON.stringify(result)).to.equal(true);
    });
  }
});

describe('autoscalingProblems', () => {
  it('says what is wrong with the range, in the field that is wrong', () => {
    expect(
      autoscalingProblems({
        code: 'x',
        autoscaling: { minReplicas: 5, maxReplicas: 2, targetCPUUtilizationPercentage: 50 },
      }),
    ).to.deep.equal([
      {
        path: 'spec.autoscaling.minReplicas',
        message: '5 is more than maxReplicas 2: minReplicas must be at most maxReplicas',
      },
    ]);
  });

  it('names the quantity that makes the request zero: the request, or the limit standing in for it', () => {
    const autoscaling = {
      maxReplicas: 3,
      targetCPUUtilizationPercentage: 50,
      targetMemoryUtilizationPercentage: 50,
    };
    const problems = autoscalingProblems({
      code: 'x',
      autoscaling,
      resources: { requests: { cpu: '0m' }, limits: { memory: '0' } },
    });
    expect(problems.map((p) => p.path)).to.deep.equal([
      'spec.resources.requests.cpu',
      'spec.resources.limits.memory',
    ]);
    expect(problems[0]!.message).to.equal(
      'is "0m", but autoscaling.targetCPUUtilizationPercentage needs a CPU request above zero (the autoscaler measures use against it): set resources.requests.cpu, or leave cpu out of resources for the default',
    );
  });

  it('takes a request over a zero limit, as Kubernetes does', () => {
    // A limit below the request is refused elsewhere (resourceProblems); here only the request counts.
    expect(
      autoscalingProblems({
        code: 'x',
        autoscaling: { maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
        resources: { requests: { cpu: '100m' }, limits: { cpu: '0' } },
      }),
    ).to.deep.equal([]);
  });

  it('has nothing to say without autoscaling or a disruption budget', () => {
    expect(autoscalingProblems({ code: 'x', resources: { requests: { cpu: 0 } } })).to.deep.equal(
      [],
    );
  });
});
