// Retention by use, in request sequences shaped as Metacontroller sends them without the
// customize hook (related: {}), so the status is the only record: v1 serves, then four pushes
// never turn ready. The v1 ConfigMap must be in every answer, and failed versions must go.
import { expect } from 'chai';
import { syncPythonLambda } from '../../../src/hooks/pythonlambda-sync.js';
import type { CompositeResponse } from '../../../src/hooks/composite-types.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { testHookContext } from '../../fixtures/lambda.js';
import { compositeRequest, HOOK_VERSIONS, pythonLambda } from '../../fixtures/metacontroller.js';
import { observeChildren } from '../../fixtures/observed.js';

const ctx = testHookContext();
const code = (n: number) => `def handler(event, context):\n    return ${n}\n`;

function configMaps(response: CompositeResponse): string[] {
  return response.children.filter((c) => c.kind === 'ConfigMap').map((c) => c.metadata.name);
}

for (const version of HOOK_VERSIONS) {
  for (const upgraded of [false, true]) {
    const label = upgraded ? ', its status written before servedCodeHash existed' : '';
    describe(`code ConfigMaps kept by use (hook API ${version}${label})`, () => {
      it('keeps the serving v1 through four failed pushes, and lets the failed ones go', () => {
        const spec = (n: number) => ({ code: code(n), replicas: 2 });
        const first = syncPythonLambda(
          compositeRequest({ parent: pythonLambda({ spec: spec(1) }), version }),
          ctx,
        );
        let parent = pythonLambda({ spec: spec(1), status: first.status });
        const ready = syncPythonLambda(
          compositeRequest({ parent, children: observeChildren(first.children, parent), version }),
          ctx,
        );
        expect(ready.status.conditions![0]!.status).to.equal('True');
        const v1 = configMaps(ready)[0]!;
        let status: Record<string, unknown> = { ...ready.status };
        if (upgraded) {
          delete status.servedCodeHash;
          delete status.servedTemplateHash;
        }
        let applied: KubeObject[] = ready.children;
        const seen = new Set<string>([v1]);
        for (let n = 2; n <= 5; n += 1) {
          parent = pythonLambda({ spec: spec(n), generation: n, status });
          // The Deployment runs the last applied template: a new pod that never turns ready.
          // (After an upgrade, the first sync may already see v1 mid-change: a pod recreated.)
          const observed = observeChildren(applied, parent, {
            deployment: n === 2 && !upgraded ? 'rolled-out' : 'rolling',
            deploymentGeneration: n,
          });
          const answer = syncPythonLambda(
            compositeRequest({ parent, children: observed, version }),
            ctx,
          );
          const names = configMaps(answer);
          expect(names, `v${n}: the serving v1 ConfigMap`).to.include(v1);
          expect(names.length, `v${n}: bounded`).to.be.at.most(6);
          expect(answer.status.servedCodeHash, `v${n}`).to.equal(ready.status.codeHash);
          expect(answer.status.codeHash, `v${n}`).to.not.equal(ready.status.codeHash);
          names.forEach((name) => seen.add(name));
          applied = answer.children;
          status = { ...answer.status };
        }
        expect(seen.size, 'a ConfigMap per version').to.equal(5);
      });
    });
  }
}
