import { expect } from 'chai';
import {
  allObjects,
  childKey,
  childKeyOf,
  findObject,
  type KubeObject,
} from '../../../src/metacontroller/objects.js';
import { childMap, pythonLambda } from '../../fixtures/metacontroller.js';

const parent = pythonLambda({ spec: { code: 'x' } });
const obj = (kind: string, apiVersion: string, name: string): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace: 'demo' },
});
const objects = [
  obj('Service', 'v1', 'b'),
  obj('ConfigMap', 'v1', 'z'),
  obj('Deployment', 'apps/v1', 'hello'),
  obj('ConfigMap', 'v1', 'a'),
];

describe('Metacontroller object maps', () => {
  it('v1 keys by name, v2 by namespace/name, and every child group is present', () => {
    expect(Object.keys(childMap([], parent, 'v1'))).to.deep.equal([
      'ConfigMap.v1',
      'Deployment.apps/v1',
      'Service.v1',
      'HorizontalPodAutoscaler.autoscaling/v2',
      'PodDisruptionBudget.policy/v1',
    ]);
    expect(Object.keys(childMap(objects, parent, 'v1')['ConfigMap.v1']!)).to.deep.equal(['z', 'a']);
    expect(Object.keys(childMap(objects, parent, 'v2')['ConfigMap.v1']!)).to.deep.equal([
      'demo/z',
      'demo/a',
    ]);
  });

  for (const version of ['v1', 'v2'] as const) {
    it(`lists every object by group then name, whatever the key format (${version})`, () => {
      expect(
        allObjects(childMap(objects, parent, version)).map((o) => `${o.kind}/${o.metadata.name}`),
      ).to.deep.equal(['ConfigMap/a', 'ConfigMap/z', 'Deployment/hello', 'Service/b']);
    });

    it(`finds an object by name, whatever the key format (${version})`, () => {
      const map = childMap(objects, parent, version);
      expect(findObject(map, 'Deployment.apps/v1', 'hello')).to.deep.equal(objects[2]);
      expect(findObject(map, 'Deployment.apps/v1', 'other')).to.equal(undefined);
      expect(findObject(map, 'Secret.v1', 'hello')).to.equal(undefined);
    });
  }

  it('copes with null and missing maps', () => {
    expect(allObjects(null)).to.deep.equal([]);
    expect(allObjects({ 'ConfigMap.v1': null })).to.deep.equal([]);
    expect(findObject(undefined, 'ConfigMap.v1', 'a')).to.equal(undefined);
  });

  it('keys a child by its group and name: the same name in two groups is two children', () => {
    const keys = objects.map(childKeyOf);
    expect(keys).to.deep.equal([
      'Service.v1/b',
      'ConfigMap.v1/z',
      'Deployment.apps/v1/hello',
      'ConfigMap.v1/a',
    ]);
    expect(childKeyOf(obj('Service', 'v1', 'hello'))).to.not.equal(childKeyOf(objects[2]!));
    expect(childKey('Deployment.apps/v1', 'hello')).to.equal(childKeyOf(objects[2]!));
  });
});
