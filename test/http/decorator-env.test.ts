// An annotated Deployment whose pod template sets a PYLAMBDA_* variable an annotation also sets:
// the runtime lets the variable win over settings.json, so the Service would point elsewhere.
import { expect } from 'chai';
import { postHook, testApp } from '../fixtures/app.js';
import { GREETER_UID, greeterDeployment } from '../fixtures/decorated-deployment.js';
import { goJson } from '../fixtures/metacontroller.js';

type Json = Record<string, unknown>;
const app = testApp();
const SYNC = '/hooks/lambda-deployment/sync';
const UID = GREETER_UID;

/** The Deployment with `env` on its one container. */
function deployment(env: Json[]): Json {
  return greeterDeployment({ containers: [{ name: 'lambda', image: 'python:3.13-slim', env }] });
}

const owned = (kind: string, name: string): Json => ({
  apiVersion: 'v1',
  kind,
  metadata: {
    name,
    namespace: 'demo',
    uid: `${name}-uid`,
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'greeter', uid: UID, controller: true },
    ],
  },
  ...(kind === 'ConfigMap' ? { data: { 'settings.json': '{}\n' } } : { spec: { ports: [] } }),
});

async function sync(env: Json[], attachments: Json[]) {
  const map: Record<string, Record<string, Json>> = { 'ConfigMap.v1': {}, 'Service.v1': {} };
  for (const o of attachments) {
    map[`${o.kind as string}.v1`]![`demo/${(o.metadata as { name: string }).name}`] = o;
  }
  const res = await postHook(
    app,
    SYNC,
    goJson({ controller: {}, object: deployment(env), attachments: map, related: map }),
  );
  expect(res.status, res.text).to.equal(200);
  return res.body as {
    annotations: Record<string, string | null>;
    attachments: { kind: string; metadata: { name: string }; spec?: unknown }[];
  };
}

const PORT_ERROR =
  'the pod template overrides pylambda settings: spec.template.spec.containers[0].env[1]: PYLAMBDA_PORT overrides pylambda.dev/port, which the Service targets: set pylambda.dev/port instead';

describe('annotated Deployment: PYLAMBDA_* variables in the pod template', () => {
  const env = [
    { name: 'PYTHONPATH', value: '/opt/pylambda-runtime' },
    { name: 'PYLAMBDA_PORT', value: '9000' },
  ];

  it('a first sync asks for nothing and says which variable to remove', async () => {
    const answer = await sync(env, []);
    expect(answer.attachments).to.deep.equal([]);
    expect(answer.annotations['pylambda.dev/error']).to.equal(PORT_ERROR);
  });

  it('attachments already there stay exactly as they are (nothing that serves is deleted)', async () => {
    const attachments = [
      owned('ConfigMap', 'greeter-pylambda'),
      owned('Service', 'greeter-lambda'),
    ];
    const answer = await sync(env, attachments);
    expect(answer.annotations['pylambda.dev/error']).to.equal(PORT_ERROR);
    expect(answer.attachments.map((a) => `${a.kind} ${a.metadata.name}`)).to.deep.equal([
      'ConfigMap greeter-pylambda',
      'Service greeter-lambda',
    ]);
    expect(answer.attachments[1]!.spec).to.deep.equal({ ports: [] });
  });

  it('once the variable goes, the attachments follow the annotations again', async () => {
    const answer = await sync(env.slice(0, 1), []);
    expect(answer.annotations['pylambda.dev/error']).to.equal(null);
    expect(answer.attachments).to.have.length(2);
  });
});

describe('annotated Deployment: an error annotation stays small', () => {
  // The API server refuses a Deployment whose annotations take more than 256 KiB: an error that
  // listed every one of thousands of variables would never be written, and Metacontroller would
  // retry the failing update forever with SyncError events instead.
  it('names the first problems and counts the rest, whatever the pod template holds', async () => {
    const env = Array.from({ length: 2100 }, (_, i) => ({ name: 'PYLAMBDA_PORT', value: `${i}` }));
    const answer = await sync(env, []);
    const error = answer.annotations['pylambda.dev/error']!;
    expect(Buffer.byteLength(error)).to.be.below(4096);
    expect(error).to.match(
      /^the pod template overrides pylambda settings: spec\.template\.spec\.containers\[0\]\.env\[0\]: PYLAMBDA_PORT overrides/,
    );
    expect(error).to.match(/; and 2090 more problems$/);
  });
});
