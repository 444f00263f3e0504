// During a rollout the sync hook keeps older code ConfigMaps, but only the newest few: a version
// that never turns ready must not pile up megabytes of ConfigMaps.
import { expect } from 'chai';
import { KEPT_CODE_VERSIONS, syncPythonLambda } from '../../../src/hooks/pythonlambda-sync.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { testHookContext } from '../../fixtures/lambda.js';

function oldConfigMap(name: string, createdAt: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'demo', creationTimestamp: createdAt },
    immutable: true,
    data: { 'main.py': `# ${name}\n` },
  };
}

describe('kept code versions', () => {
  it(`keeps only the ${KEPT_CODE_VERSIONS} newest earlier code ConfigMaps while not Ready`, () => {
    const old = [
      oldConfigMap('hello-code-a', '2026-01-05T00:00:00Z'),
      oldConfigMap('hello-code-b', '2026-01-01T00:00:00Z'),
      oldConfigMap('hello-code-c', '2026-01-04T00:00:00Z'),
      oldConfigMap('hello-code-d', '2026-01-02T00:00:00Z'),
      oldConfigMap('hello-code-e', '2026-01-03T00:00:00Z'),
    ];
    const body = syncPythonLambda(
      {
        parent: {
          apiVersion: 'pylambda.dev/v1alpha1',
          kind: 'PythonLambda',
          metadata: { name: 'hello', namespace: 'demo', generation: 6 },
          spec: { code: 'def handler(event, context):\n    return 6\n' },
        },
        children: {
          'ConfigMap.v1': Object.fromEntries(old.map((c) => [c.metadata.name, c])),
          'Deployment.apps/v1': {},
          'Service.v1': {},
        },
      },
      testHookContext(),
    );
    expect(body.status.conditions![0]!.status).to.equal('False');
    const configMaps = body.children
      .filter((c) => c.kind === 'ConfigMap')
      .map((c) => c.metadata.name);
    expect(configMaps.slice(1)).to.deep.equal(['hello-code-a', 'hello-code-c', 'hello-code-e']);
    expect(configMaps[0]).to.match(/^hello-code-[0-9a-f]{10}$/);
  });
});
