import { expect } from 'chai';
import { templateHash } from '../../../src/render/lambda-deployment.js';
import { helloSpec, lambdaDeployment, lambdaSpec } from '../../fixtures/lambda.js';

describe('topology spread in the lambda pod template', () => {
  it('is the same at every replica count, so scaling never rolls the pods', () => {
    const one = lambdaDeployment(lambdaSpec(helloSpec({ replicas: 1 })));
    const five = lambdaDeployment(lambdaSpec(helloSpec({ replicas: 5 })));
    expect(one.spec!.template.spec!.topologySpreadConstraints).to.have.length(1);
    expect(templateHash(five.spec!.template)).to.equal(templateHash(one.spec!.template));
  });

  it('is left out with topologySpread.enabled false (a template change: the pods roll)', () => {
    const on = lambdaDeployment(lambdaSpec(helloSpec({ topologySpread: { enabled: true } })));
    const off = lambdaDeployment(lambdaSpec(helloSpec({ topologySpread: { enabled: false } })));
    expect(off.spec!.template.spec).to.not.have.property('topologySpreadConstraints');
    expect(templateHash(off.spec!.template)).to.not.equal(templateHash(on.spec!.template));
  });
});
