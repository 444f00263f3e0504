import { expect } from 'chai';
import { asDesired, LAST_APPLIED } from '../../../src/metacontroller/carry-over.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { helloSpec, lambdaSpec, codeConfigMap, lambdaDeployment } from '../../fixtures/lambda.js';
import { pythonLambda } from '../../fixtures/metacontroller.js';
import { observeChild } from '../../fixtures/observed.js';

const parent = pythonLambda({ spec: helloSpec() });
const spec = lambdaSpec(helloSpec({ requirements: 'six\n' }));

/** What Metacontroller applied: the desired object with its namespace and controller-uid label. */
function applied(desired: KubeObject): KubeObject {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      labels: { ...desired.metadata.labels, 'controller-uid': parent.metadata.uid! },
    },
  };
}

describe('carry-over (observed children sent back unchanged)', () => {
  it('returns exactly the last applied configuration (dynamic-apply)', () => {
    const desired = lambdaDeployment(spec) as KubeObject;
    const observed = observeChild(desired, parent, { deployment: 'rolled-out' });
    expect(asDesired(observed)).to.deep.equal(applied(desired));
  });

  it('returns the last applied ConfigMap, code included', () => {
    const desired = codeConfigMap(spec) as KubeObject;
    expect(asDesired(observeChild(desired, parent))).to.deep.equal(applied(desired));
  });

  it('ignores a last-applied annotation that belongs to another object or does not parse', () => {
    const desired = codeConfigMap(spec) as KubeObject;
    for (const annotation of [
      '{not json',
      JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'other' } }),
    ]) {
      const observed = observeChild(desired, parent);
      observed.metadata.annotations![LAST_APPLIED] = annotation;
      const back = asDesired(observed);
      expect(back.metadata.name).to.equal(desired.metadata.name);
      expect(back.data).to.deep.equal(desired.data);
      expect(back.metadata.annotations).to.equal(undefined);
    }
  });

  it('without the annotation (server-side apply) drops status and system metadata, keeps the rest', () => {
    const observed: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'hello',
        namespace: 'demo',
        uid: '1234',
        resourceVersion: '99',
        generation: 2,
        creationTimestamp: '2026-08-20T10:00:01Z',
        managedFields: [{ manager: 'metacontroller', operation: 'Apply' }],
        ownerReferences: [
          { apiVersion: 'pylambda.dev/v1alpha1', kind: 'PythonLambda', name: 'hello', uid: 'p' },
        ],
        finalizers: ['x'],
        labels: { a: 'b' },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{}',
          'deployment.kubernetes.io/revision': '3',
          'team.example.com/owner': 'me',
        },
      },
      spec: { ports: [{ port: 8080 }] },
      status: { loadBalancer: {} },
    };
    expect(asDesired(observed)).to.deep.equal({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'hello',
        namespace: 'demo',
        labels: { a: 'b' },
        annotations: { 'team.example.com/owner': 'me' },
      },
      spec: { ports: [{ port: 8080 }] },
    });
  });

  it('drops the annotations map when only foreign annotations were in it', () => {
    const observed: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', annotations: { 'deployment.kubernetes.io/revision': '1' } },
      data: {},
    };
    expect(asDesired(observed)).to.deep.equal({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: {},
    });
  });

  it('does not modify the observed object', () => {
    const observed = observeChild(lambdaDeployment(spec) as KubeObject, parent);
    const copy = structuredClone(observed);
    asDesired(observed);
    expect(observed).to.deep.equal(copy);
  });
});
