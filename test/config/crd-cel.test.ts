// The generated CRD on kube-apiserver's own validation code: it is a CRD the API server accepts
// (its CEL rules compile within their cost budget), it has the scale subresource, and it refuses
// and accepts exactly the autoscaling specs the hook refuses and accepts (one table for both).
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { apiServerErrors, CRD_FILE } from './crd-validate.js';
import { specTable, lambdaObject } from '../fixtures/spec-tables.js';

const cases = specTable('autoscaling-specs');

describe('the PythonLambda CRD on the API server’s validation code', () => {
  const all = [...cases.refused, ...cases.accepted];
  let errors: string[][];
  before(function () {
    this.timeout(60000);
    errors = apiServerErrors(all.map((c) => lambdaObject(c.spec)));
  });

  it('has the scale subresource, its selector in a status field of the schema', () => {
    interface Props {
      properties: Record<string, Props & { type?: string }>;
    }
    const crd = parse(readFileSync(CRD_FILE, 'utf8')) as {
      spec: { versions: { subresources: unknown; schema: { openAPIV3Schema: Props } }[] };
    };
    const [version] = crd.spec.versions;
    expect(version!.subresources).to.deep.equal({
      status: {},
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.selector',
      },
    });
    const status = version!.schema.openAPIV3Schema.properties.status!.properties;
    expect(status.selector!.type).to.equal('string');
    expect(status.replicas!.type).to.equal('integer');
  });

  cases.refused.forEach((c, i) => {
    it(`refuses ${c.what}, naming ${c.field}`, () => {
      const found = errors[i]!;
      expect(
        found.some((e) => e.includes(c.field!)),
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
