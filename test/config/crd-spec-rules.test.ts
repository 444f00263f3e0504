// The CRD refuses what the hook refuses beyond a spec's shape (env names pylambda sets itself,
// file paths, resources), on kube-apiserver's own validation code: the same table runs through
// the hook in test/unit/lambda/spec-rules.test.ts.
import { expect } from 'chai';
import { apiServerErrors } from './crd-validate.js';
import { specTable, lambdaObject } from '../fixtures/spec-tables.js';

const cases = specTable('spec-rules');

describe('the PythonLambda CRD on the rules beyond a spec’s shape', () => {
  let errors: string[][];
  before(function () {
    this.timeout(60000);
    errors = apiServerErrors(
      [...cases.refused, ...cases.accepted].map((c) => lambdaObject(c.spec)),
    );
  });

  cases.refused.forEach((c, i) => {
    it(`refuses ${c.what}, naming ${c.field}`, () => {
      const found = errors[i]!;
      expect(
        found.some((e) => e.startsWith(`${c.field}:`) && e.includes(c.message ?? '')),
        found.join('\n'),
      ).to.equal(true);
    });
  });
  cases.accepted.forEach((c, i) => {
    it(`accepts ${c.what}`, () => {
      expect(errors[cases.refused.length + i]).to.deep.equal([]);
    });
  });
});
