import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { createHash } from 'node:crypto';
import { codeHash, lambdaImage } from '../../../src/render/code-hash.js';
import { renderLambdaDeployment, templateHash } from '../../../src/render/lambda-deployment.js';
import { commonLabels } from '../../../src/render/labels.js';
import {
  isDns1123Label,
  isDns1123Subdomain,
  isPortName,
  labelProblems,
} from '../../fixtures/kube-validation.js';
import {
  codeHashOf,
  HELLO_CODE,
  helloSpec,
  lambdaDeployment,
  lambdaSpec,
  TEST_RUNTIME,
} from '../../fixtures/lambda.js';
import type { PythonLambdaSpec } from '../../../src/generated/pythonlambda-spec.js';

const HEX64 = /^[0-9a-f]{64}$/;
const HEX16 = /^[0-9a-f]{16}$/;

function render(extra: Partial<PythonLambdaSpec> = {}, name = 'hello'): Deployment {
  return lambdaDeployment(lambdaSpec(helloSpec(extra), { name }));
}

function podSpec(d: Deployment): PodSpec {
  return d.spec!.template.spec!;
}

function containers(d: Deployment): Container[] {
  return [...(podSpec(d).initContainers ?? []), ...podSpec(d).containers];
}

/** The containers that run the user's image: all but the one copying the runtime in. */
function userContainers(d: Deployment): Container[] {
  return containers(d).filter((c) => c.name !== 'runtime');
}

function annotations(d: Deployment): Record<string, string> {
  return d.spec!.template.metadata!.annotations!;
}

const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

const DEFAULT_RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } };

describe('the lambda Deployment', () => {
  it('is exactly this for a spec with requirements, env, resources and a port', () => {
    const d = render({
      requirements: 'requests==2.32.3\n',
      env: [
        { name: 'GREETING', value: 'hi' },
        { name: 'PYLAMBDA_TIMEOUT_SECONDS', value: '99' },
      ],
      replicas: 2,
      port: 9000,
      timeoutSeconds: 10,
      runtime: '3.11',
      resources: { requests: { cpu: 1 }, limits: { memory: '512Mi' } },
    });
    const hash = annotations(d)['pylambda.dev/code-hash']!;
    const template = annotations(d)['pylambda.dev/template-hash']!;
    expect(hash).to.match(HEX64);
    expect(hash).to.equal(
      codeHashOf(lambdaSpec(helloSpec({ requirements: 'requests==2.32.3\n', runtime: '3.11' }))),
    );
    expect(template).to.match(HEX16);
    const labels = commonLabels('hello');
    // The user's cpu request and memory limit, alone: no default for a resource they named.
    const resources = { requests: { cpu: '1' }, limits: { memory: '512Mi' } };
    expect(d).to.deep.equal({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'hello', namespace: 'demo', labels },
      spec: {
        replicas: 2,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { 'pylambda.dev/lambda': 'hello' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: {
            labels,
            annotations: {
              'pylambda.dev/code-hash': hash,
              'pylambda.dev/runtime-version': '1.4.0',
              'pylambda.dev/template-hash': template,
            },
          },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              fsGroup: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            // drain 5 + the user's PYLAMBDA_TIMEOUT_SECONDS 99 + the write timeout 30 + 5
            terminationGracePeriodSeconds: 139,
            initContainers: [
              {
                name: 'runtime',
                image: 'pylambda-runtime:1.4.0',
                command: ['cp', '-R', '/pylambda/pylambda_runtime', '/opt/pylambda-runtime/'],
                resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
                terminationMessagePolicy: 'FallbackToLogsOnError',
                securityContext: RESTRICTED_CONTAINER,
                volumeMounts: [{ name: 'runtime', mountPath: '/opt/pylambda-runtime' }],
              },
              {
                name: 'install-requirements',
                image: 'python:3.11-slim',
                command: [
                  'python',
                  '-m',
                  'pip',
                  'install',
                  '--no-cache-dir',
                  '--disable-pip-version-check',
                  '--no-warn-script-location',
                  '--target',
                  '/opt/pylambda-deps',
                  '-r',
                  '/opt/pylambda/requirements.txt',
                ],
                env: [
                  { name: 'HOME', value: '/tmp' },
                  { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
                ],
                terminationMessagePolicy: 'FallbackToLogsOnError',
                resources,
                securityContext: RESTRICTED_CONTAINER,
                volumeMounts: [
                  { name: 'code', mountPath: '/opt/pylambda', readOnly: true },
                  { name: 'pip-tmp', mountPath: '/tmp' },
                  { name: 'deps', mountPath: '/opt/pylambda-deps' },
                ],
              },
            ],
            containers: [
              {
                name: 'lambda',
                image: 'python:3.11-slim',
                command: ['python', '-u', '-P', '-m', 'pylambda_runtime'],
                workingDir: '/opt/pylambda/code',
                ports: [{ name: 'http', containerPort: 9000, protocol: 'TCP' }],
                env: [
                  { name: 'PYLAMBDA_HANDLER', value: 'main.handler' },
                  { name: 'PYLAMBDA_PORT', value: '9000' },
                  { name: 'PYLAMBDA_CODE_DIR', value: '/opt/pylambda/code' },
                  { name: 'PYLAMBDA_FUNCTION_NAME', value: 'hello' },
                  { name: 'PYLAMBDA_NAMESPACE', value: 'demo' },
                  { name: 'PYLAMBDA_DRAIN_SECONDS', value: '5' },
                  { name: 'PYLAMBDA_DEPS_DIR', value: '/opt/pylambda-deps' },
                  { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
                  { name: 'HOME', value: '/tmp' },
                  { name: 'PYTHONPATH', value: '/opt/pylambda-runtime' },
                  { name: 'GREETING', value: 'hi' },
                  { name: 'PYLAMBDA_TIMEOUT_SECONDS', value: '99' },
                ],
                readinessProbe: {
                  httpGet: { path: '/healthz', port: 'http' },
                  periodSeconds: 5,
                  failureThreshold: 2,
                },
                livenessProbe: {
                  httpGet: { path: '/livez', port: 'http' },
                  periodSeconds: 10,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                terminationMessagePolicy: 'FallbackToLogsOnError',
                resources,
                securityContext: RESTRICTED_CONTAINER,
                volumeMounts: [
                  { name: 'code', mountPath: '/opt/pylambda', readOnly: true },
                  { name: 'runtime', mountPath: '/opt/pylambda-runtime', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'deps', mountPath: '/opt/pylambda-deps', readOnly: true },
                ],
              },
            ],
            volumes: [
              {
                name: 'code',
                configMap: {
                  name: `hello-code-${hash.slice(0, 10)}`,
                  items: [
                    { key: 'main.py', path: 'code/main.py' },
                    { key: 'requirements.txt', path: 'requirements.txt' },
                  ],
                },
              },
              { name: 'runtime', emptyDir: { sizeLimit: '16Mi' } },
              { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
              { name: 'deps', emptyDir: {} },
              { name: 'pip-tmp', emptyDir: {} },
            ],
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: { 'pylambda.dev/lambda': 'hello' } },
                matchLabelKeys: ['pod-template-hash'],
              },
            ],
          },
        },
      },
    });
  });

  it('has only the runtime init container, and no deps volume or deps variable, without requirements', () => {
    const d = render();
    expect(podSpec(d).initContainers!.map((c) => c.name)).to.deep.equal(['runtime']);
    expect(podSpec(d).volumes!.map((v) => v.name)).to.deep.equal(['code', 'runtime', 'tmp']);
    expect(podSpec(d).containers[0]!.volumeMounts!.map((m) => m.name)).to.deep.equal([
      'code',
      'runtime',
      'tmp',
    ]);
    expect(podSpec(d).containers[0]!.env!.map((e) => e.name)).to.not.include('PYLAMBDA_DEPS_DIR');
    expect(podSpec(d).containers[0]!.resources).to.deep.equal(DEFAULT_RESOURCES);
  });

  it('an empty requirements text means no pip init container', () => {
    expect(podSpec(render({ requirements: '' })).initContainers!.map((c) => c.name)).to.deep.equal([
      'runtime',
    ]);
  });

  it('gets the runtime package from the runtime image into a read-only emptyDir, before pip', () => {
    const pod = podSpec(render({ requirements: 'six\n' }));
    expect(pod.initContainers!.map((c) => c.name)).to.deep.equal([
      'runtime',
      'install-requirements',
    ]);
    const [runtime] = pod.initContainers!;
    expect(runtime!.image).to.equal('pylambda-runtime:1.4.0');
    expect(runtime!.volumeMounts).to.deep.equal([
      { name: 'runtime', mountPath: '/opt/pylambda-runtime' },
    ]);
    expect(pod.containers[0]!.volumeMounts).to.deep.include({
      name: 'runtime',
      mountPath: '/opt/pylambda-runtime',
      readOnly: true,
    });
    expect(pod.volumes).to.deep.include({ name: 'runtime', emptyDir: { sizeLimit: '16Mi' } });
  });

  it('mounts the runtime image itself with image-volume delivery: no copy at pod start', () => {
    const spec = lambdaSpec(helloSpec());
    const pod = podSpec(lambdaDeployment(spec, { ...TEST_RUNTIME, delivery: 'image-volume' }));
    expect(pod.initContainers).to.equal(undefined);
    expect(pod.volumes).to.deep.include({
      name: 'runtime',
      image: { reference: 'pylambda-runtime:1.4.0', pullPolicy: 'IfNotPresent' },
    });
    expect(pod.containers[0]!.volumeMounts).to.deep.include({
      name: 'runtime',
      mountPath: '/opt/pylambda-runtime',
      subPath: 'pylambda',
      readOnly: true,
    });
  });

  it("puts the runtime's directory first on PYTHONPATH, before the user's", () => {
    const env = podSpec(render({ env: [{ name: 'PYTHONPATH', value: '/srv/lib' }] })).containers[0]!
      .env!;
    expect(env.filter((e) => e.name === 'PYTHONPATH')).to.deep.equal([
      { name: 'PYTHONPATH', value: '/opt/pylambda-runtime:/srv/lib' },
    ]);
  });

  describe('security (the restricted Pod Security Standard)', () => {
    for (const [label, extra] of [
      ['without requirements', {}],
      ['with requirements (init container)', { requirements: 'six\n' }],
    ] as const) {
      it(`hardens every container ${label}`, () => {
        const d = render(extra);
        const pod = podSpec(d);
        expect(pod.securityContext).to.deep.equal({
          runAsNonRoot: true,
          runAsUser: 65532,
          runAsGroup: 65532,
          fsGroup: 65532,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(pod.automountServiceAccountToken).to.equal(false);
        for (const c of containers(d)) {
          expect(c.securityContext, c.name).to.deep.equal(RESTRICTED_CONTAINER);
          // python:<v>-slim runs as root: runAsNonRoot alone would be refused by the kubelet.
          expect(c.securityContext!.runAsUser).to.be.a('number').and.above(0);
        }
        expect(pod.hostNetwork ?? false).to.equal(false);
        expect(pod.hostPID ?? false).to.equal(false);
        for (const v of pod.volumes ?? []) {
          expect(v.hostPath, v.name).to.equal(undefined);
        }
      });
    }

    it('gives a read-only root filesystem a writable /tmp, and the init container its target', () => {
      const d = render({ requirements: 'six\n' });
      const [init, lambda] = userContainers(d);
      // pip stages a whole install in its temp dir: an emptyDir of its own, not the small /tmp.
      expect(init!.volumeMounts!.find((m) => m.mountPath === '/tmp')).to.deep.equal({
        name: 'pip-tmp',
        mountPath: '/tmp',
      });
      expect(lambda!.volumeMounts!.find((m) => m.mountPath === '/tmp')).to.deep.equal({
        name: 'tmp',
        mountPath: '/tmp',
      });
      expect(init!.volumeMounts!.find((m) => m.name === 'deps')).to.deep.equal({
        name: 'deps',
        mountPath: '/opt/pylambda-deps',
      });
      expect(podSpec(d).volumes!.slice(1)).to.deep.equal([
        { name: 'runtime', emptyDir: { sizeLimit: '16Mi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
        { name: 'deps', emptyDir: {} },
        { name: 'pip-tmp', emptyDir: {} },
      ]);
    });
  });

  it("probes the named http port over HTTP, on the runtime's readiness and liveness paths", () => {
    const c = podSpec(render({ port: 8081 })).containers[0]!;
    expect(c.ports).to.deep.equal([{ name: 'http', containerPort: 8081, protocol: 'TCP' }]);
    expect(c.readinessProbe!.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    // not tcpSocket: a wedged runtime still accepts connections
    expect(c.livenessProbe).to.deep.equal({
      httpGet: { path: '/livez', port: 'http' },
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
  });

  it('selects exactly the pods of its template, with valid labels and names', () => {
    for (const name of ['hello', '9lives', `${'n'.repeat(63)}.${'m'.repeat(100)}`]) {
      const d = render({ requirements: 'six\n' }, name);
      const selector = d.spec!.selector.matchLabels!;
      const podLabels = d.spec!.template.metadata!.labels!;
      for (const [k, v] of Object.entries(selector)) expect(podLabels[k]).to.equal(v);
      expect(labelProblems(podLabels)).to.deep.equal([]);
      expect(labelProblems(d.metadata!.labels)).to.deep.equal([]);
      expect(isDns1123Subdomain(d.metadata!.name!)).to.equal(true);
      for (const c of containers(d)) expect(isDns1123Label(c.name)).to.equal(true);
      for (const v of podSpec(d).volumes!) expect(isDns1123Label(v.name)).to.equal(true);
      for (const p of podSpec(d).containers[0]!.ports!) expect(isPortName(p.name!)).to.equal(true);
    }
  });

  describe('resources', () => {
    const resourcesOf = (resources: PythonLambdaSpec['resources'], requirements?: string) => {
      const d = render({ resources, ...(requirements ? { requirements } : {}) });
      return userContainers(d).map((c) => c.resources);
    };

    const cases: [string, PythonLambdaSpec['resources'], object][] = [
      ['none given: the small defaults', undefined, DEFAULT_RESOURCES],
      ['empty lists: the small defaults', { requests: {}, limits: {} }, DEFAULT_RESOURCES],
      [
        'a memory request alone: no 256Mi limit under it, cpu defaulted',
        { requests: { memory: '1Gi' } },
        { requests: { memory: '1Gi', cpu: '50m' } },
      ],
      [
        'a memory limit alone: no 64Mi request beside it, cpu defaulted',
        { limits: { memory: '128Mi' } },
        { requests: { cpu: '50m' }, limits: { memory: '128Mi' } },
      ],
      [
        'a cpu limit alone: no 50m request, memory defaulted',
        { limits: { cpu: '2' } },
        { requests: { memory: '64Mi' }, limits: { cpu: '2', memory: '256Mi' } },
      ],
      [
        'cpu and memory requests: those alone, no limits at all',
        { requests: { cpu: '250m', memory: '512Mi' } },
        { requests: { cpu: '250m', memory: '512Mi' } },
      ],
      [
        'cpu and memory limits: those alone, no requests at all',
        { limits: { cpu: 1, memory: '1Gi' } },
        { limits: { cpu: '1', memory: '1Gi' } },
      ],
      [
        'ephemeral-storage only: the defaults for cpu and memory beside it',
        { limits: { 'ephemeral-storage': '1Gi' } },
        {
          requests: { cpu: '50m', memory: '64Mi' },
          limits: { 'ephemeral-storage': '1Gi', memory: '256Mi' },
        },
      ],
    ];
    for (const [what, given, expected] of cases) {
      it(`${what}`, () => {
        // The init container gets the same, so pip runs within what the user allowed.
        expect(resourcesOf(given, 'six\n')).to.deep.equal([expected, expected]);
        expect(resourcesOf(given)).to.deep.equal([expected]);
      });
    }
  });

  describe('env', () => {
    const lambdaEnv = (extra: Partial<PythonLambdaSpec>) =>
      podSpec(render(extra)).containers[0]!.env!;

    it('is the runtime variables in order, then the user variables', () => {
      expect(lambdaEnv({ env: [{ name: 'A', value: 'b' }] })).to.deep.equal([
        { name: 'PYLAMBDA_HANDLER', value: 'main.handler' },
        { name: 'PYLAMBDA_PORT', value: '8080' },
        { name: 'PYLAMBDA_TIMEOUT_SECONDS', value: '30' },
        { name: 'PYLAMBDA_CODE_DIR', value: '/opt/pylambda/code' },
        { name: 'PYLAMBDA_FUNCTION_NAME', value: 'hello' },
        { name: 'PYLAMBDA_NAMESPACE', value: 'demo' },
        { name: 'PYLAMBDA_DRAIN_SECONDS', value: '5' },
        { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
        { name: 'HOME', value: '/tmp' },
        { name: 'PYTHONPATH', value: '/opt/pylambda-runtime' },
        { name: 'A', value: 'b' },
      ]);
    });

    it('renders a variable with an empty value as its name alone, as the API server stores it', () => {
      const env = lambdaEnv({
        env: [
          { name: 'EMPTY', value: '' },
          { name: 'SPACE', value: ' ' },
          { name: 'HOME', value: '' },
        ],
      });
      expect(env.slice(-3)).to.deep.equal([
        { name: 'EMPTY' },
        { name: 'SPACE', value: ' ' },
        { name: 'HOME' },
      ]);
      expect(env.filter((e) => e.name === 'HOME')).to.have.length(1);
    });

    it('passes valueFrom references through unchanged', () => {
      const env = [
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
      ];
      expect(lambdaEnv({ env }).slice(-2)).to.deep.equal(env);
    });
  });

  describe('terminationGracePeriodSeconds', () => {
    const grace = (extra: Partial<PythonLambdaSpec>) =>
      podSpec(render(extra)).terminationGracePeriodSeconds;

    it('covers the drain, the timeout and the write timeout of a response still being written', () => {
      expect(grace({ timeoutSeconds: 10 })).to.equal(5 + 10 + 30 + 5);
      expect(grace({ timeoutSeconds: 900 })).to.equal(5 + 900 + 30 + 5);
    });

    it("follows the user's own PYLAMBDA_* seconds, which the runtime uses over the rendered ones", () => {
      const env = (value: string) => [
        { name: 'PYLAMBDA_WRITE_TIMEOUT_SECONDS', value },
        { name: 'PYLAMBDA_DRAIN_SECONDS', value: '0' },
      ];
      expect(grace({ timeoutSeconds: 10, env: env('120') })).to.equal(0 + 10 + 120 + 5);
      expect(grace({ timeoutSeconds: 10, env: env('0.5') })).to.equal(0 + 10 + 1 + 5);
      // values the runtime refuses (it exits) or a number too large to store: bounded
      expect(grace({ timeoutSeconds: 10, env: env('soon') })).to.equal(0 + 10 + 30 + 5);
      expect(grace({ timeoutSeconds: 10, env: env('1e300') })).to.equal(0 + 10 + 3600 + 5);
      const secret = { secretKeyRef: { name: 'settings', key: 'write' } };
      const fromSecret = [{ name: 'PYLAMBDA_WRITE_TIMEOUT_SECONDS', valueFrom: secret }];
      expect(grace({ timeoutSeconds: 10, env: fromSecret })).to.equal(5 + 10 + 30 + 5);
    });
  });

  it('lets user variables override the runtime variables of the same name, once each', () => {
    const env = podSpec(render({ env: [{ name: 'HOME', value: '/home/app' }] })).containers[0]!
      .env!;
    expect(env.filter((e) => e.name === 'HOME')).to.deep.equal([
      { name: 'HOME', value: '/home/app' },
    ]);
    expect(new Set(env.map((e) => e.name)).size).to.equal(env.length);
  });

  it('uses spec.image instead of python:<runtime>-slim when set', () => {
    const d = render({ image: 'registry.example.com/py:3.12', requirements: 'six\n' });
    expect(userContainers(d).map((c) => c.image)).to.deep.equal([
      'registry.example.com/py:3.12',
      'registry.example.com/py:3.12',
    ]);
  });

  it('is the same object for the same spec (no clock, no randomness)', () => {
    expect(JSON.stringify(render({ requirements: 'six\n' }))).to.equal(
      JSON.stringify(render({ requirements: 'six\n' })),
    );
  });

  describe('the code hash', () => {
    const base: Partial<PythonLambdaSpec> = {
      files: { 'pkg/util.py': 'X = 1\n' },
      requirements: 'six\n',
    };
    const hashOf = (extra: Partial<PythonLambdaSpec>) =>
      codeHash(lambdaSpec(helloSpec({ ...base, ...extra })));
    const before = hashOf({});

    const changes: [string, Partial<PythonLambdaSpec>][] = [
      ['the code', { code: 'def handler(event, context):\n    return 2\n' }],
      ['a file', { files: { 'pkg/util.py': 'X = 2\n' } }],
      ['a file name', { files: { 'pkg/utils.py': 'X = 1\n' } }],
      ['an added file', { files: { 'pkg/util.py': 'X = 1\n', 'more.py': '' } }],
      ['the requirements', { requirements: 'six==1.16.0\n' }],
      ['the handler', { handler: 'main.other' }],
      ['the runtime', { runtime: '3.11' }],
      ['the image', { image: 'python:3.12-bookworm' }],
    ];
    for (const [what, extra] of changes) {
      it(`changes with ${what}`, () => {
        expect(hashOf(extra)).to.match(HEX64).and.not.equal(before);
      });
    }

    it('does not change with the runtime release: a webhook upgrade makes no new code ConfigMap', () => {
      const spec = lambdaSpec(helloSpec(base));
      const older = lambdaDeployment(spec, { ...TEST_RUNTIME, version: '1.3.0' });
      const newer = lambdaDeployment(spec, TEST_RUNTIME);
      expect(annotations(older)['pylambda.dev/code-hash']).to.equal(
        annotations(newer)['pylambda.dev/code-hash'],
      );
      // The pod template names the runtime, so a lambda moved to another one rolls its pods.
      expect(annotations(older)['pylambda.dev/runtime-version']).to.equal('1.3.0');
      expect(older.spec!.template).to.not.deep.equal(newer.spec!.template);
    });

    const nonChanges: [string, Partial<PythonLambdaSpec>][] = [
      ['replicas', { replicas: 3 }],
      ['env', { env: [{ name: 'A', value: 'b' }] }],
      ['resources', { resources: { limits: { memory: '1Gi' } } }],
      ['the port', { port: 9090 }],
      ['the timeout', { timeoutSeconds: 5 }],
      ['the default handler written out', { handler: 'main.handler' }],
      ['the default runtime written out', { runtime: '3.13' }],
    ];
    for (const [what, extra] of nonChanges) {
      it(`does not change with ${what}`, () => {
        expect(hashOf(extra)).to.equal(before);
      });
    }

    it('is sha256 of each of code, files, handler, image and requirements as name, byte length and bytes', () => {
      const spec = lambdaSpec(helloSpec({ files: { 'b.py': '2', 'a.py': 'é<1>' } }));
      const text =
        `code\0${Buffer.byteLength(HELLO_CODE)}\0${HELLO_CODE}` +
        'files/a.py\u00005\u0000é<1>files/b.py\u00001\u00002' +
        'handler\u000012\u0000main.handler' +
        'image\u000016\u0000python:3.13-slim' +
        'requirements\u00000\u0000';
      expect(codeHash(spec)).to.equal(createHash('sha256').update(text).digest('hex'));
    });

    it('is unambiguous: moving bytes from one field to the next changes it', () => {
      expect(hashOf({ files: { 'a.py': 'xy', 'b.py': '' } })).to.not.equal(
        hashOf({ files: { 'a.py': 'x', 'b.py': 'y' } }),
      );
    });

    it('names the image a lambda runs', () => {
      const spec = lambdaSpec(helloSpec());
      expect(lambdaImage(spec)).to.equal('python:3.13-slim');
      expect(lambdaImage({ runtime: '3.11', image: 'registry.example.com/py:1' })).to.equal(
        'registry.example.com/py:1',
      );
    });

    it('does not depend on the order of files', () => {
      const a = hashOf({ files: { 'a.py': '1', 'b.py': '2' } });
      const b = hashOf({ files: { 'b.py': '2', 'a.py': '1' } });
      expect(a).to.equal(b);
    });

    it('is the pod template annotation, so a code change rolls the pods', () => {
      const d1 = render({ code: 'def handler(e, c):\n    return 1\n' });
      const d2 = render({ code: 'def handler(e, c):\n    return 2\n' });
      const spec1 = lambdaSpec(helloSpec({ code: 'def handler(e, c):\n    return 1\n' }));
      expect(annotations(d1)['pylambda.dev/code-hash']).to.equal(codeHashOf(spec1));
      expect(renderLambdaDeployment(spec1, 'f'.repeat(64), TEST_RUNTIME)).to.not.deep.equal(d1);
      expect(d1.spec!.template).to.not.deep.equal(d2.spec!.template);
    });

    it('names the code ConfigMap the pods mount, so new pods never start on old code', () => {
      const d1 = render({ code: 'def handler(e, c):\n    return 1\n' });
      const d2 = render({ code: 'def handler(e, c):\n    return 2\n' });
      const configMapOf = (d: Deployment) => podSpec(d).volumes![0]!.configMap!.name;
      expect(configMapOf(d1)).to.equal(
        `hello-code-${annotations(d1)['pylambda.dev/code-hash']!.slice(0, 10)}`,
      );
      expect(configMapOf(d2)).to.equal(
        `hello-code-${annotations(d2)['pylambda.dev/code-hash']!.slice(0, 10)}`,
      );
      expect(configMapOf(d1)).to.not.equal(configMapOf(d2));
    });
  });

  describe('the template hash annotation', () => {
    it('is the hash of the template without itself', () => {
      const d = render({ requirements: 'six\n' });
      const template = structuredClone(d.spec!.template);
      const recorded = template.metadata!.annotations!['pylambda.dev/template-hash'];
      delete template.metadata!.annotations!['pylambda.dev/template-hash'];
      expect(recorded).to.equal(templateHash(template));
    });

    it('changes with anything in the pod template, not with replicas', () => {
      const before = annotations(render())['pylambda.dev/template-hash'];
      expect(annotations(render({ replicas: 5 }))['pylambda.dev/template-hash']).to.equal(before);
      for (const extra of [
        { env: [{ name: 'A', value: 'b' }] },
        { port: 9090 },
        { timeoutSeconds: 5 },
        { resources: { limits: { memory: '1Gi' } } },
        { code: 'x = 1\n' },
      ] as Partial<PythonLambdaSpec>[]) {
        expect(
          annotations(render(extra))['pylambda.dev/template-hash'],
          JSON.stringify(extra),
        ).to.not.equal(before);
      }
    });
  });
});
