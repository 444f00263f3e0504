// Under server-side apply, an invalid spec sends back exactly what Metacontroller's Apply entry
// owns: not the API server's defaults, not a label someone added with kubectl.
import { expect } from 'chai';
import { asDesired } from '../../../src/metacontroller/carry-over.js';
import { MAX_LIST_KEY_FIELDS, pickFields } from '../../../src/metacontroller/managed-fields.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { DEFAULT_MAX_JSON_VALUES } from '../../../src/config.js';
import { parseBudget } from '../../../src/validation/counted-parse.js';

const budget = () => parseBudget(DEFAULT_MAX_JSON_VALUES);

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
    expect(asDesired(observedService(), budget())).to.deep.equal({
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
        budget(),
      ),
    ).to.deep.equal({ a: [{ v: 1 }], b: ['keep'], c: { deep: [1] }, d: {} });
  });

  it('without an Apply entry of metacontroller falls back as before', () => {
    const service = observedService();
    service.metadata.managedFields = service.metadata.managedFields!.filter(
      (e) => e.operation !== 'Apply',
    );
    expect((asDesired(service, budget()).spec as { clusterIP?: string }).clusterIP).to.equal(
      '10.96.0.7',
    );
  });

  it('picks the first member that selects an item, and matches keys whatever their order', () => {
    const fields = {
      'f:a': {
        'k:{"protocol":"TCP","port":80}': { 'f:port': {} },
        'i:0': { 'f:name': {} },
        'k:{"port":80}': { 'f:protocol': {} },
      },
    };
    const value = { a: [{ port: 80, protocol: 'TCP', name: 'web' }, { port: 80 }, { port: 81 }] };
    expect(pickFields(value, fields, budget())).to.deep.equal({ a: [{ port: 80 }, {}] });
  });

  it('parses each key of a list node once, however long the list (not once per item)', () => {
    const count = 3000;
    const items = Array.from({ length: count }, (_, i) => ({
      name: `c${i}`,
      image: 'x',
      extra: i,
    }));
    const node = Object.fromEntries(
      items.map((item) => [`k:${JSON.stringify({ name: item.name })}`, { 'f:image': {} }]),
    );
    const parse = JSON.parse;
    let parses = 0;
    JSON.parse = ((text: string, reviver?: Parameters<typeof parse>[1]) => {
      parses += 1;
      return parse(text, reviver) as unknown;
    }) as typeof JSON.parse;
    let picked: unknown;
    try {
      picked = pickFields({ containers: items }, { 'f:containers': node }, budget());
    } finally {
      JSON.parse = parse;
    }
    // Once per item and key, as it was, is 4.5 million parses for these 3000 x 3000.
    expect(parses).to.equal(count);
    expect(picked).to.deep.equal({ containers: items.map(() => ({ image: 'x' })) });
  });

  it('does not use an entry whose list is keyed by more fields than a list map has', () => {
    const service = observedService();
    const entry = service.metadata.managedFields![0]!;
    const ports = (entry.fieldsV1 as Record<string, Record<string, Record<string, unknown>>>)[
      'f:spec'
    ]!['f:ports']!;
    for (let i = 0; i <= MAX_LIST_KEY_FIELDS; i += 1) ports[`k:{"field${i}":1}`] = {};
    // As without the entry: the observed Service without status and system metadata.
    expect((asDesired(service, budget()).spec as { clusterIP?: string }).clusterIP).to.equal(
      '10.96.0.7',
    );
  });

  it('counts the values its keys parse against the call’s budget, and past it does not use the entry', () => {
    const service = observedService();
    const entry = service.metadata.managedFields![0]!;
    const ports = (entry.fieldsV1 as Record<string, Record<string, Record<string, unknown>>>)[
      'f:spec'
    ]!['f:ports']!;
    ports[`k:{"port":[${Array(1000).fill('{}').join(',')}]}`] = {};
    const plenty = parseBudget(10_000);
    expect(asDesired(service, plenty).spec).to.not.have.property('clusterIP');
    // The first entry key alone is 5 values; the large one 1002.
    expect(plenty.valuesLeft).to.be.below(10_000 - 1002);
    const small = parseBudget(500);
    expect((asDesired(service, small).spec as { clusterIP?: string }).clusterIP).to.equal(
      '10.96.0.7',
    );
  });
});
