// The hook refuses what the CRD refuses beyond a spec's shape (env names pylambda sets itself,
// file paths, resources): the same table runs against the CRD on kube-apiserver's validation
// code in test/config/crd-spec-rules.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { RESERVED_ENV } from '../../../src/lambda/env-problems.js';
import { pythonLambdaSpec } from '../../../src/lambda/python-lambda-spec.js';
import { packageRoot } from '../../../src/package-root.js';
import { helloSpec, lambdaDeployment, lambdaSpec, specValidator } from '../../fixtures/lambda.js';
import { specTable } from '../../fixtures/spec-tables.js';

const cases = specTable('spec-rules');

function validate(extra: Record<string, unknown>) {
  return pythonLambdaSpec({ name: 'hello', namespace: 'demo' }, helloSpec(extra), specValidator());
}

describe('spec rules beyond its shape (the table the CRD is held to)', () => {
  for (const c of cases.refused) {
    it(`refuses ${c.what}, naming ${c.field}`, () => {
      const result = validate(c.spec);
      expect(result.ok, c.what).to.equal(false);
      if (result.ok) return;
      const named = result.problems.filter(
        (p) => p.path === c.field || p.path.startsWith(`${c.field}[`),
      );
      expect(
        named.some((p) => p.message.includes(c.message ?? '')),
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

describe('the env names pylambda keeps to itself', () => {
  // What a user's spec.env may still override: the runtime's timeouts and drain (the grace
  // period follows them), the names its logs carry, and what the layout does not depend on.
  const TUNABLE = [
    'PYLAMBDA_TIMEOUT_SECONDS',
    'PYLAMBDA_DRAIN_SECONDS',
    'PYLAMBDA_FUNCTION_NAME',
    'PYLAMBDA_NAMESPACE',
    'PYTHONDONTWRITEBYTECODE',
    'HOME',
    'PYTHONPATH',
  ];

  it('are every variable the lambda container gets from the spec or the pod layout', () => {
    const spec = lambdaSpec(helloSpec({ requirements: 'requests\n' }));
    const rendered = lambdaDeployment(spec).spec!.template.spec!.containers[0]!.env!.map(
      (e) => e.name,
    );
    const layout = rendered.filter((name) => !TUNABLE.includes(name));
    expect(layout.sort()).to.deep.equal(
      Object.keys(RESERVED_ENV)
        // Refused for what they would do, not because the pod sets them.
        .filter(
          (name) => !['PYLAMBDA_SETTINGS_FILE', 'PYLAMBDA_STOP_WHEN_STDIN_CLOSES'].includes(name),
        )
        .sort(),
    );
  });

  it('are refused by the CRD with the hook’s words', () => {
    const schema = JSON.parse(
      readFileSync(join(packageRoot(), 'schemas/pythonlambda-spec.schema.json'), 'utf8'),
    ) as {
      properties: {
        env: {
          items: { 'x-kubernetes-validations': { rule: string; messageExpression?: string }[] };
        };
      };
    };
    const rule = schema.properties.env.items['x-kubernetes-validations'].find(
      (r) => r.messageExpression,
    )!;
    for (const [name, message] of Object.entries(RESERVED_ENV)) {
      expect(rule.rule).to.contain(`'${name}'`);
      expect(rule.messageExpression).to.contain(`'${name}': '${message}'`);
    }
  });
});
