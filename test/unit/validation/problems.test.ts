import { expect } from 'chai';
import type { ErrorObject } from 'ajv';
import {
  formatProblems,
  pointerToPath,
  problemsFromAjv,
} from '../../../src/validation/problems.js';

describe('problems', () => {
  it('turn JSON pointers into the paths people write', () => {
    expect(pointerToPath('/spec/env/2/name')).to.equal('spec.env[2].name');
    expect(pointerToPath('/env/0/name', 'spec')).to.equal('spec.env[0].name');
    expect(pointerToPath('/files/..~1x', 'spec')).to.equal('spec.files["../x"]');
    expect(pointerToPath('/files/pkg~1util.py', 'spec')).to.equal('spec.files["pkg/util.py"]');
    expect(pointerToPath('/children/Deployment.apps~1v1/demo~1x/metadata')).to.equal(
      'children["Deployment.apps/v1"]["demo/x"].metadata',
    );
    expect(pointerToPath('')).to.equal('(root)');
  });

  it('name the missing or unknown field itself, and drop anyOf noise and duplicates', () => {
    const errors = [
      { keyword: 'required', instancePath: '/parent', params: { missingProperty: 'metadata' } },
      {
        keyword: 'additionalProperties',
        instancePath: '',
        params: { additionalProperty: 'extra' },
      },
      { keyword: 'anyOf', instancePath: '/x', params: {}, message: 'must match a schema in anyOf' },
      {
        keyword: 'type',
        instancePath: '/x',
        params: { type: 'integer' },
        message: 'must be integer',
      },
      {
        keyword: 'type',
        instancePath: '/x',
        params: { type: 'integer' },
        message: 'must be integer',
      },
    ] as unknown as ErrorObject[];
    const problems = problemsFromAjv(errors);
    expect(problems).to.deep.equal([
      { path: 'parent.metadata', message: 'is required' },
      { path: 'extra', message: 'is not a known field' },
      { path: 'x', message: 'must be integer' },
    ]);
    expect(formatProblems(problems)).to.equal(
      'parent.metadata: is required; extra: is not a known field; x: must be integer',
    );
  });
});
