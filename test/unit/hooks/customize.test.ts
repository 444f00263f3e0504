import { expect } from 'chai';
import { customizePythonLambda } from '../../../src/hooks/pythonlambda-customize.js';
import { helloSpec, testHookContext } from '../../fixtures/lambda.js';
import { pythonLambda } from '../../fixtures/metacontroller.js';

describe('PythonLambda customize hook', () => {
  it('asks for whatever holds the children’s names (the availability children’s too), and for the lambda’s ReplicaSets and pods', () => {
    const ctx = testHookContext();
    const answer = customizePythonLambda({ parent: pythonLambda({ spec: helloSpec() }) }, ctx);
    const [configMaps, ...rest] = answer.relatedResources;
    expect(configMaps!.resource).to.equal('configmaps');
    expect(configMaps!.names![0]).to.match(/^hello-code-[0-9a-f]{10}$/);
    expect(rest).to.deep.equal([
      { apiVersion: 'apps/v1', resource: 'deployments', namespace: 'demo', names: ['hello'] },
      { apiVersion: 'v1', resource: 'services', namespace: 'demo', names: ['hello'] },
      {
        apiVersion: 'autoscaling/v2',
        resource: 'horizontalpodautoscalers',
        namespace: 'demo',
        names: ['hello'],
      },
      {
        apiVersion: 'policy/v1',
        resource: 'poddisruptionbudgets',
        namespace: 'demo',
        names: ['hello'],
      },
      {
        apiVersion: 'apps/v1',
        resource: 'replicasets',
        namespace: 'demo',
        labelSelector: { matchLabels: { 'pylambda.dev/lambda': 'hello' } },
      },
      {
        apiVersion: 'v1',
        resource: 'pods',
        namespace: 'demo',
        labelSelector: { matchLabels: { 'pylambda.dev/lambda': 'hello' } },
      },
    ]);
  });

  it('names the shortened Service of a long or digit-first name; no ConfigMap for an invalid spec', () => {
    const answer = customizePythonLambda(
      { parent: pythonLambda({ name: '9lives', spec: { code: 'x', port: 1 } }) },
      testHookContext(),
    );
    expect(answer.relatedResources.map((r) => r.resource)).to.deep.equal([
      'deployments',
      'services',
      'horizontalpodautoscalers',
      'poddisruptionbudgets',
      'replicasets',
      'pods',
    ]);
    expect(answer.relatedResources[1]!.names![0]).to.match(/^l-9lives-[0-9a-f]+$/);
  });
});
