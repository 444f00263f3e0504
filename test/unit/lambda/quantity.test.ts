import { expect } from 'chai';
import { canonicalQuantity } from '../../../src/lambda/quantity.js';
import { lambdaDeployment, lambdaSpec, specValidator } from '../../fixtures/lambda.js';
import { pythonLambdaSpec } from '../../../src/lambda/python-lambda-spec.js';
import { formatProblems } from '../../../src/validation/problems.js';

describe('quantities in their canonical form (what the API server stores)', () => {
  const cases: [string | number, string][] = [
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['2000m', '2'],
    ['1000', '1k'],
    ['1200', '1200'],
    ['0.1m', '100u'],
    ['0.5Gi', '512Mi'],
    ['1.5Gi', '1536Mi'],
    ['1024Mi', '1Gi'],
    ['0.5Ki', '512'],
    ['64Mi', '64Mi'],
    ['250M', '250M'],
    ['+1', '1'],
    [2, '2'],
    ['0', '0'],
  ];
  for (const [written, stored] of cases) {
    it(`${JSON.stringify(written)} is stored as ${stored}`, () => {
      expect(canonicalQuantity(written)).to.equal(stored);
    });
  }

  it('is what the Deployment is rendered with, so a dynamic-apply sync sends what it reads', () => {
    const deployment = lambdaDeployment(
      lambdaSpec({
        code: 'x',
        resources: { requests: { cpu: '0.5', memory: '0.5Gi' }, limits: { memory: '1024Mi' } },
      }),
    );
    expect(deployment.spec!.template.spec!.containers[0]!.resources).to.deep.equal({
      requests: { cpu: '500m', memory: '512Mi' },
      limits: { memory: '1Gi' },
    });
  });

  it('an unquoted fraction gets one clear message, not "must be integer" and "must be string"', () => {
    const result = pythonLambdaSpec(
      { name: 'hello', namespace: 'demo' },
      { code: 'x', resources: { requests: { cpu: 0.5, memory: 'lots' } } },
      specValidator(),
    );
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(formatProblems(result.problems)).to.equal(
      'spec.resources.requests.cpu: must be a quantity, not negative: a whole number, or a string such as "500m", "0.5", "64Mi" or "1Gi" (quote a fraction: \'0.5\'); ' +
        'spec.resources.requests.memory: must be a quantity, not negative: a whole number, or a string such as "500m", "0.5", "64Mi" or "1Gi" (quote a fraction: \'0.5\')',
    );
  });

  it('refuses a negative quantity, as a string or a whole number, with that message', () => {
    const result = pythonLambdaSpec(
      { name: 'hello', namespace: 'demo' },
      { code: 'x', resources: { requests: { cpu: '-1' }, limits: { memory: '-1Gi', cpu: -1 } } },
      specValidator(),
    );
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).to.deep.equal([
      'spec.resources.requests.cpu',
      'spec.resources.limits.cpu',
      'spec.resources.limits.memory',
    ]);
    for (const problem of result.problems)
      expect(problem.message).to.match(/^must be a quantity, not negative/);
  });
});
