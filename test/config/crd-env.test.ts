// The CRD refuses the env sources a pod template cannot hold, as the hook does
// (test/unit/lambda/python-lambda-spec.test.ts), on kube-apiserver's own validation code.
import { expect } from 'chai';
import { apiServerErrors } from './crd-validate.js';

const lambda = (valueFrom: unknown) => ({
  apiVersion: 'pylambda.dev/v1alpha1',
  kind: 'PythonLambda',
  metadata: { name: 'hello', namespace: 'demo' },
  spec: {
    code: 'def handler(event, context):\n    return 1\n',
    env: [{ name: 'A', valueFrom }],
  },
});

const refused = [
  {},
  { secretKeyRef: { name: 's', key: 'k' }, configMapKeyRef: { name: 'c', key: 'k' } },
  { secretKeyRef: { name: 's', key: 'not a key' } },
  { configMapKeyRef: { name: 'c', key: '..' } },
  { configMapKeyRef: { name: 'c', key: '..data' } },
];
const accepted = ['.env', 'tls.crt', 'a..b'].map((key) => ({ secretKeyRef: { name: 's', key } }));

describe('the PythonLambda CRD on env sources', () => {
  let errors: string[][];
  before(function () {
    this.timeout(60000);
    errors = apiServerErrors([...refused, ...accepted].map(lambda));
  });

  refused.forEach((valueFrom, i) => {
    it(`refuses valueFrom ${JSON.stringify(valueFrom)}`, () => {
      expect(errors[i]!.join('; ')).to.contain('spec.env[0].valueFrom');
    });
  });

  accepted.forEach((valueFrom, i) => {
    it(`accepts valueFrom ${JSON.stringify(valueFrom)}`, () => {
      expect(errors[refused.length + i]).to.deep.equal([]);
    });
  });
});
