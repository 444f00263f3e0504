// Under server-side apply, an invalid spec sends back exactly what Metacontroller's Apply entry
// owns: not the API server's defaults, not a label someone added with kubectl.
import { expect } from 'chai';
import { asDesired } from '../../../src/metacontroller/carry-over.js';
import { pickFields } from '../../../src/metacontroller/managed-fields.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';

/** A Service as the API server returns it after Metacontroller's apply, a kubectl label and defaults. */
function observedService(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'hello',
      namespace: 'demo',
      uid: '1',
      resourceVersion: '7',
      labels: {
        'pylambda.dev/lambda': 'hello',
        'controller-uid': 'p',
        'team.example/owner': 'ops',
      },
      ownerReferences: [
        {
          apiVersion: 'pylambda.dev/v1alpha1',
          kind: 'PythonLambda',
          name: 'hello',
          uid: 'p',
          controller: true,
        },
      ],
      managedFields: [
        {
          manager: 'metacontroller',
          operation: 'Apply',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': {
              'f:labels': { 'f:pylambda.dev/lambda': {}, 'f:controller-uid': {} },
              'f:ownerReferences': { 'k:{"uid":"p"}': {} },
            },
            'f:spec': {
              'f:ports': {
                'k:{"port":8080,"protocol":"TCP"}': {
                  '.': {},
                  'f:name': {},
                  'f:port': {},
                  'f:protocol': {},
                  'f:targetPort': {},
                },
              },
              'f:selector': {},
            },
          },
        },
        {
          manager: 'kubectl-label',
          operation: 'Update',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team.example/owner': {} } } },
        },
        {
          manager: 'kube-apiserver',
          operation: 'Update',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:clusterIP': {} } },
        },
      ],
    },
    spec: {
      clusterIP: '10.96.0.7',
      clusterIPs: ['10.96.0.7'],
      ipFamilies: ['IPv4'],
      sessionAffinity: 'None',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP', targetPort: 'http' }],
      selector: { 'pylambda.dev/lambda': 'hello' },
    },
    status: { loadBalancer: {} },
  };
}

describe('managed fields (server-side apply carry-over)', () => {
  it('keeps exactly the fields of metacontroller’s Apply entry', () => {
    expect(asDesired(observedService())).to.deep.equal({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'hello',
        namespace: 'demo',
        labels: { 'pylambda.dev/lambda': 'hello', 'controller-uid': 'p' },
      },
      spec: {
        ports: [{ name: 'http', port: 8080, protocol: 'TCP', targetPort: 'http' }],
        selector: { 'pylambda.dev/lambda': 'hello' },
      },
    });
  });

  it('picks list items by key, set members by value, and a bare field whole', () => {
    const fields = {
      'f:a': { 'k:{"name":"x"}': { 'f:v': {} } },
      'f:b': { 'v:"keep"': {} },
      'f:c': {},
      'f:d': { '.': {} },
    };
    expect(
      pickFields(
        {
          a: [
            { name: 'x', v: 1, w: 2 },
            { name: 'y', v: 3 },
          ],
          b: ['keep', 'drop'],
          c: { deep: [1] },
          d: { other: 1 },
          e: 1,
        },
        fields,
      ),
    ).to.deep.equal({ a: [{ v: 1 }], b: ['keep'], c: { deep: [1] }, d: {} });
  });

  it('without an Apply entry of metacontroller falls back as before', () => {
    const service = observedService();
    service.metadata.managedFields = service.metadata.managedFields!.filter(
      (e) => e.operation !== 'Apply',
    );
    expect((asDesired(service).spec as { clusterIP?: string }).clusterIP).to.equal('10.96.0.7');
  });
});
