// An annotated Deployment's attachments, through the webhook as Metacontroller calls it: a name
// someone else holds is never asked for (the customize hook makes it visible as `related`), and
// opting out never deletes a settings ConfigMap the Deployment's pods still need.
import { expect } from 'chai';
import { postHook, testApp } from '../fixtures/app.js';
import { GREETER_UID, greeterDeployment } from '../fixtures/decorated-deployment.js';
import { goJson } from '../fixtures/metacontroller.js';

type Json = Record<string, unknown>;
const app = testApp();
const SYNC = '/hooks/lambda-deployment/sync';
const CUSTOMIZE = '/hooks/lambda-deployment/customize';
const UID = GREETER_UID;

const deployment = greeterDeployment;

function object(kind: 'ConfigMap' | 'Service', name: string, ownerUid?: string): Json {
  const ownerReferences = ownerUid
    ? [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'greeter',
          uid: ownerUid,
          controller: true,
        },
      ]
    : undefined;
  return {
    apiVersion: 'v1',
    kind,
    metadata: { name, namespace: 'demo', uid: `${name}-uid`, ownerReferences },
    ...(kind === 'ConfigMap' ? { data: { 'settings.json': '{}\n' } } : { spec: { ports: [] } }),
  };
}

function objectMap(objects: Json[]): Json {
  const map: Record<string, Record<string, Json>> = {};
  for (const o of objects) {
    const name = (o.metadata as { name: string }).name;
    (map[`${o.kind as string}.v1`] ??= {})[`demo/${name}`] = o;
  }
  return map;
}

async function call(path: string, request: Json) {
  const res = await postHook(app, path, goJson(request));
  expect(res.status, res.text).to.equal(200);
  return res.body as {
    annotations: Record<string, string | null>;
    attachments: { kind: string; metadata: { name: string } }[];
    finalized?: boolean;
    relatedResources?: unknown;
  };
}

const sync = (attachments: Json[], related: Json[], object = deployment()) =>
  call(SYNC, {
    controller: {},
    object,
    attachments: objectMap(attachments),
    related: objectMap(related),
  });
const finalize = (attachments: Json[], object: Json) =>
  call(SYNC, { controller: {}, object, attachments: objectMap(attachments), finalizing: true });
const names = (answer: { attachments: { kind: string; metadata: { name: string } }[] }) =>
  answer.attachments.map((a) => `${a.kind} ${a.metadata.name}`).sort();

describe('annotated Deployment: names someone else holds', () => {
  it('customize asks for whatever holds the settings ConfigMap’s and the Service’s names', async () => {
    const answer = await call(CUSTOMIZE, { controller: {}, parent: deployment() });
    expect(answer.relatedResources).to.deep.equal([
      { apiVersion: 'v1', resource: 'configmaps', namespace: 'demo', names: ['greeter-pylambda'] },
      { apiVersion: 'v1', resource: 'services', namespace: 'demo', names: ['greeter-lambda'] },
    ]);
  });

  it('customize refuses a request without a parent, naming it', async () => {
    const res = await postHook(app, CUSTOMIZE, goJson({ controller: {} }));
    expect(res.status).to.equal(400);
    expect(res.text).to.include('parent');
  });

  it('a Service of the wanted name it does not own: nothing asked for, the error names it', async () => {
    const answer = await sync([], [object('Service', 'greeter-lambda')]);
    expect(answer.attachments).to.deep.equal([]);
    expect(answer.annotations).to.deep.equal({
      'pylambda.dev/error':
        'Service demo/greeter-lambda already exists and is not owned by this lambda (it has no controller)',
      'pylambda.dev/service': null,
      'pylambda.dev/url': null,
      'pylambda.dev/configmap': null,
    });
  });

  it('a ConfigMap of the wanted name another Deployment controls: its own attachments stay as they are', async () => {
    const ours = object('Service', 'greeter-lambda', UID);
    const answer = await sync([ours], [ours, object('ConfigMap', 'greeter-pylambda', 'other-uid')]);
    expect(names(answer)).to.deep.equal(['Service greeter-lambda']);
    expect(answer.annotations['pylambda.dev/error']).to.match(
      /^ConfigMap demo\/greeter-pylambda already exists and is not owned by this lambda \(it is controlled by Deployment greeter\)$/,
    );
    // A URL written before (its own Service is there) is removed while the name is held.
    expect(answer.annotations['pylambda.dev/url']).to.equal(null);
  });

  it('a Service it controls that another decorator made (seen only as related) is a conflict', async () => {
    // Metacontroller sends as attachments only what carries its decorator-controller mark; asked
    // for, this one would be taken over (server-side apply) and deleted on opting out.
    const held = object('Service', 'greeter-lambda', UID);
    const meta = held.metadata as Json;
    meta.annotations = { 'metacontroller.k8s.io/decorator-controller': 'some-other-decorator' };
    const controller = { metadata: { name: 'pylambda-deployment-decorator' } };
    const res = await postHook(
      app,
      SYNC,
      goJson({ controller, object: deployment(), attachments: {}, related: objectMap([held]) }),
    );
    expect(res.status, res.text).to.equal(200);
    expect(res.body.attachments).to.deep.equal([]);
    expect(res.body.annotations).to.deep.equal({
      'pylambda.dev/error':
        'Service demo/greeter-lambda already exists and is not owned by this lambda (it is controlled by Deployment greeter, but Metacontroller did not create it for this lambda: another controller did)',
      'pylambda.dev/service': null,
      'pylambda.dev/url': null,
      'pylambda.dev/configmap': null,
    });
  });

  it('a Service it controls, marked by a decorator, while the request names none: asked for', async () => {
    // Without the controller's name any decorator's mark counts (a request written by hand).
    const held = object('Service', 'greeter-lambda', UID);
    (held.metadata as Json).annotations = {
      'metacontroller.k8s.io/decorator-controller': 'pylambda-deployment-decorator',
    };
    const answer = await sync([], [held]);
    expect(answer.annotations['pylambda.dev/error']).to.equal(null);
    expect(names(answer)).to.deep.equal(['ConfigMap greeter-pylambda', 'Service greeter-lambda']);
  });

  it('an unmarked Service it controls, seen only as related, is a conflict', async () => {
    const answer = await sync([], [object('Service', 'greeter-lambda', UID)]);
    expect(answer.attachments).to.deep.equal([]);
    expect(answer.annotations['pylambda.dev/error']).to.match(
      /^Service demo\/greeter-lambda already exists/,
    );
  });

  it('its own attachments seen again as related are no conflict', async () => {
    const own = [
      object('ConfigMap', 'greeter-pylambda', UID),
      object('Service', 'greeter-lambda', UID),
    ];
    const answer = await sync(own, own);
    expect(answer.annotations['pylambda.dev/error']).to.equal(null);
    expect(answer.annotations['pylambda.dev/url']).to.be.a('string');
    expect(names(answer)).to.deep.equal(['ConfigMap greeter-pylambda', 'Service greeter-lambda']);
  });

  it('once the foreign object is gone the attachments are asked for', async () => {
    const answer = await sync([], []);
    expect(names(answer)).to.deep.equal(['ConfigMap greeter-pylambda', 'Service greeter-lambda']);
    expect(answer.annotations['pylambda.dev/error']).to.equal(null);
  });
});

describe('annotated Deployment: bad annotations never leave a name that is not true', () => {
  const written = {
    'pylambda.dev/handler': 'main.handler',
    'pylambda.dev/service': 'greeter-lambda',
    'pylambda.dev/url': 'http://greeter-lambda.demo.svc.cluster.local:8080',
    'pylambda.dev/configmap': 'greeter-pylambda',
  };
  const badPort = () =>
    deployment({}, { annotations: { ...written, 'pylambda.dev/port': 'http' } });
  const configMap = () => object('ConfigMap', 'greeter-pylambda', UID);

  it('its Service gone: the service and url annotations go, the configmap one stays', async () => {
    const answer = await sync([configMap()], [configMap()], badPort());
    expect(names(answer)).to.deep.equal(['ConfigMap greeter-pylambda']);
    expect(answer.annotations).to.deep.equal({
      'pylambda.dev/service': null,
      'pylambda.dev/url': null,
      'pylambda.dev/error':
        'invalid pylambda annotations: metadata.annotations["pylambda.dev/port"]: "http" must be a whole number from 1 to 65535',
    });
  });

  it('the Service name held by someone else: all three go, its own ConfigMap stays', async () => {
    const answer = await sync(
      [configMap()],
      [configMap(), object('Service', 'greeter-lambda')],
      badPort(),
    );
    expect(names(answer)).to.deep.equal(['ConfigMap greeter-pylambda']);
    expect(answer.annotations).to.include({
      'pylambda.dev/service': null,
      'pylambda.dev/url': null,
      'pylambda.dev/configmap': null,
    });
    expect(answer.annotations['pylambda.dev/error']).to.match(/^invalid pylambda annotations: /);
  });

  it('both its own attachments there: no name is touched', async () => {
    const own = [configMap(), object('Service', 'greeter-lambda', UID)];
    const answer = await sync(own, own, badPort());
    expect(Object.keys(answer.annotations)).to.deep.equal(['pylambda.dev/error']);
  });

  it('the legacy runtime: the same', async () => {
    const legacy = deployment(
      {
        containers: [
          {
            name: 'app',
            image: 'python:3.13-slim',
            command: ['python', '-u', '/opt/pylambda/runtime/pylambda_runtime.py'],
          },
        ],
      },
      { annotations: written },
    );
    const answer = await sync(
      [configMap()],
      [configMap(), object('Service', 'greeter-lambda')],
      legacy,
    );
    expect(names(answer)).to.deep.equal(['ConfigMap greeter-pylambda']);
    expect(answer.annotations['pylambda.dev/url']).to.equal(null);
    expect(answer.annotations['pylambda.dev/configmap']).to.equal(null);
    expect(answer.annotations['pylambda.dev/error']).to.contain('pylambda_runtime.py');
  });
});

describe('annotated Deployment: opting out', () => {
  const own = () => [
    object('ConfigMap', 'greeter-pylambda', UID),
    object('Service', 'greeter-lambda', UID),
  ];
  const mounted = (configMap: Json) => ({ volumes: [{ name: 'settings', configMap }] });
  const optedOut = (podSpec: Json, metadata: Json = {}) =>
    deployment(podSpec, { annotations: {}, ...metadata });

  it('keeps a settings ConfigMap the pod template still mounts, and finalizes', async () => {
    const answer = await finalize(own(), optedOut(mounted({ name: 'greeter-pylambda' })));
    expect(names(answer)).to.deep.equal(['ConfigMap greeter-pylambda']);
    // Finalized once Metacontroller has deleted the Service, the ConfigMap left in place.
    expect(answer.finalized).to.equal(false);
    const [configMap] = own();
    const next = await finalize([configMap!], optedOut(mounted({ name: 'greeter-pylambda' })));
    expect(names(next)).to.deep.equal(['ConfigMap greeter-pylambda']);
    expect(next.finalized).to.equal(true);
    expect(answer.annotations).to.deep.equal({
      'pylambda.dev/service': null,
      'pylambda.dev/url': null,
      'pylambda.dev/configmap': null,
      'pylambda.dev/error': null,
    });
  });

  it('keeps it when a projected volume or a container’s variables need it', async () => {
    const projected = {
      volumes: [
        { name: 's', projected: { sources: [{ configMap: { name: 'greeter-pylambda' } }] } },
      ],
    };
    const envFrom = {
      containers: [
        {
          name: 'app',
          image: 'python:3.13-slim',
          envFrom: [{ configMapRef: { name: 'greeter-pylambda' } }],
        },
      ],
    };
    for (const podSpec of [projected, envFrom]) {
      const answer = await finalize(own(), optedOut(podSpec));
      expect(names(answer), JSON.stringify(podSpec)).to.deep.equal(['ConfigMap greeter-pylambda']);
    }
  });

  it('removes everything when nothing needs it: unmounted, optional, or the Deployment is being deleted', async () => {
    for (const object of [
      optedOut({}),
      optedOut(mounted({ name: 'greeter-pylambda', optional: true })),
      optedOut(mounted({ name: 'greeter-pylambda' }), {
        deletionTimestamp: '2031-03-04T05:06:07Z',
      }),
    ]) {
      const answer = await finalize(own(), object);
      expect(answer.attachments, JSON.stringify(object)).to.deep.equal([]);
      expect(answer.finalized).to.equal(false);
      expect((await finalize([], object)).finalized).to.equal(true);
    }
  });
});
