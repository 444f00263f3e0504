// Requests above their limits are an invalid spec, named by field; quantities compare by value.
import { expect } from 'chai';
import { quantityValue } from '../../../src/lambda/quantity.js';
import { resourceProblems } from '../../../src/lambda/resource-problems.js';

describe('resource quantities', () => {
  it('reads every suffix and exponent form', () => {
    expect(quantityValue('500m')).to.equal(0.5);
    expect(quantityValue('1Gi')).to.equal(2 ** 30);
    expect(quantityValue('1G')).to.equal(1e9);
    expect(quantityValue('1.5Ki')).to.equal(1536);
    expect(quantityValue('2e3')).to.equal(2000);
    expect(quantityValue(3)).to.equal(3);
    expect(quantityValue('lots')).to.equal(undefined);
  });

  it('names a request above its limit', () => {
    expect(
      resourceProblems({ requests: { memory: '1Gi' }, limits: { memory: '256Mi' } }),
    ).to.deep.equal([
      { path: 'spec.resources.requests.memory', message: '"1Gi" is more than the limit "256Mi"' },
    ]);
    expect(resourceProblems({ requests: { cpu: 1 }, limits: { cpu: '500m' } })).to.have.length(1);
  });

  it('accepts equal values in other units, and requests without limits', () => {
    expect(
      resourceProblems({
        requests: { memory: '1024Mi', cpu: '1' },
        limits: { memory: '1Gi', cpu: '1000m' },
      }),
    ).to.deep.equal([]);
    expect(resourceProblems({ requests: { memory: '8Gi' } })).to.deep.equal([]);
    expect(resourceProblems(undefined)).to.deep.equal([]);
  });

  it('compares exactly, as the API server does, where floating point would not', () => {
    // 700 * 1e-3 is 0.7000000000000001, and 3300 * 1e-3 is 3.3000000000000003.
    expect(
      resourceProblems({
        requests: { cpu: '700m', memory: '3300m', 'ephemeral-storage': '102.4Mi' },
        limits: { cpu: '0.7', memory: '3.3', 'ephemeral-storage': '0.1Gi' },
      }),
    ).to.deep.equal([]);
    expect(
      resourceProblems({ requests: { cpu: '700000001n' }, limits: { cpu: '0.7' } }),
    ).to.have.length(1);
    expect(resourceProblems({ requests: { cpu: '2e-1' }, limits: { cpu: '200m' } })).to.deep.equal(
      [],
    );
    expect(
      resourceProblems({ requests: { cpu: '1e100' }, limits: { cpu: '1e99' } }),
    ).to.have.length(1);
  });
});
