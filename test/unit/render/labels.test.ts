import { expect } from 'chai';
import { commonLabels, LABEL_LAMBDA, selectorLabels } from '../../../src/render/labels.js';
import { labelProblems } from '../../fixtures/kube-validation.js';

const LONG = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;

describe('labels', () => {
  it('are the documented set for a plain name', () => {
    expect(commonLabels('hello')).to.deep.equal({
      'app.kubernetes.io/name': 'pylambda',
      'app.kubernetes.io/instance': 'hello',
      'app.kubernetes.io/managed-by': 'pylambda',
      'pylambda.dev/lambda': 'hello',
    });
    expect(selectorLabels('hello')).to.deep.equal({ [LABEL_LAMBDA]: 'hello' });
  });

  for (const name of ['hello', '9lives', 'my.app.v2', 'x'.repeat(63), 'x'.repeat(64), LONG]) {
    it(`are valid keys and values for ${name.length > 40 ? `a ${name.length}-character name` : name}`, () => {
      expect(labelProblems(commonLabels(name))).to.deep.equal([]);
      expect(labelProblems(selectorLabels(name))).to.deep.equal([]);
    });
  }

  it('the selector is part of the common labels, so the pods it selects carry it', () => {
    for (const name of ['hello', LONG]) {
      const common = commonLabels(name);
      for (const [key, value] of Object.entries(selectorLabels(name))) {
        expect(common[key]).to.equal(value);
      }
    }
  });

  it('the selector depends on the name only and keeps lambdas apart', () => {
    // Pinned: a Deployment's selector is immutable, so this value must never change.
    expect(selectorLabels(LONG)).to.deep.equal({ [LABEL_LAMBDA]: `${'a'.repeat(54)}-5fcf065d` });
    expect(selectorLabels(LONG)).to.not.deep.equal(selectorLabels(`${LONG.slice(0, 252)}e`));
  });
});
