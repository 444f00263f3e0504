import { expect } from 'chai';
import type { DeploymentObject } from '../../../src/hooks/decorator-types.js';
import { decoratedLambda } from '../../../src/lambda/deployment-annotations.js';

function deployment(codeDir: string): DeploymentObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      annotations: { 'pylambda.dev/handler': 'main.handler', 'pylambda.dev/code-dir': codeDir },
    },
    spec: { selector: { matchLabels: { app: 'web' } } },
  } as unknown as DeploymentObject;
}

function codeDirProblem(codeDir: string): string | undefined {
  const result = decoratedLambda(deployment(codeDir));
  return result.ok ? undefined : result.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

describe('the pylambda.dev/code-dir annotation', () => {
  it('takes a plain absolute path', () => {
    expect(codeDirProblem('/srv/app/code')).to.equal(undefined);
    expect(codeDirProblem(' /srv/app ')).to.equal(undefined);
  });

  for (const [codeDir, why] of [
    ['srv/app', 'must be an absolute path'],
    [`/${'a'.repeat(1024)}`, 'at most 1024 characters'],
    ['/srv/\napp', 'must not contain control characters'],
    ['/srv/a\u0000b', 'must not contain control characters'],
    ['/srv/../etc', "must not contain '..'"],
  ] as const) {
    it(`refuses ${JSON.stringify(codeDir).slice(0, 40)}: ${why}`, () => {
      const problem = codeDirProblem(codeDir);
      expect(problem).to.contain('metadata.annotations["pylambda.dev/code-dir"]');
      expect(problem).to.contain(why);
    });
  }
});
