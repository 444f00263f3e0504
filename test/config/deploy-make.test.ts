// The deployment targets of mk/deploy.mk, run only as far as a machine without Docker allows:
// `make help` documents them, IMG reaches the rendered Deployment, a missing docker or kind stops
// with a message, and `make undeploy` removes things in an order that leaves no finalizer behind.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { parse } from 'yaml';
import {
  find,
  kustomizeBinary,
  kustomizeBuild,
  make,
  parseYamlStream,
  REPO_ROOT,
} from './kustomize.js';
import { execFileSync } from 'node:child_process';
import { packageVersion } from '../../src/package-version.js';

const deployMk = readFileSync(join(REPO_ROOT, 'mk', 'deploy.mk'), 'utf8');

function makeVariable(name: string, vars: string[] = []): string {
  const { status, output } = make([
    '-f',
    'mk/deploy.mk',
    '--eval',
    `print-variable: ; @echo '$(${name})'`,
    'print-variable',
    ...vars,
  ]);
  expect(status, output).to.equal(0);
  return output.trim();
}

describe('mk/deploy.mk', () => {
  it('documents every deployment target in `make help`', () => {
    const help = make(['help']);
    expect(help.status, help.output).to.equal(0);
    // eslint-disable-next-line no-control-regex
    const output = help.output.replace(/\x1b\[[0-9;]*m/g, '');
    expect(output).to.match(/^Deployment\b/m);
    for (const target of [
      'docker-build',
      'docker-build-runtime',
      'kind-create',
      'kind-load',
      'kind-load-runtime',
      'install',
      'uninstall',
      'metacontroller-install',
      'metacontroller-uninstall',
      'deploy',
      'undeploy',
      'kustomize',
    ]) {
      expect(output, target).to.match(new RegExp(`^\\s+${target}\\s+\\S`, 'm'));
    }
  });

  it('pins its tools and defaults IMG and KIND_CLUSTER', () => {
    expect(makeVariable('IMG')).to.equal('pylambda-webhook:dev');
    expect(makeVariable('RUNTIME_IMG')).to.equal(`pylambda-runtime:${packageVersion()}`);
    expect(makeVariable('BUILD_RUNTIME_IMAGE')).to.equal('true');
    expect(
      makeVariable('BUILD_RUNTIME_IMAGE', ['RUNTIME_IMG=ghcr.io/me/pylambda-runtime:1.0.0']),
    ).to.equal('false');
    expect(makeVariable('KIND_CLUSTER')).to.equal('pylambda');
    expect(makeVariable('KIND_VERSION')).to.match(/^v\d+\.\d+\.\d+$/);
    expect(makeVariable('KUSTOMIZE_VERSION')).to.match(/^v5\.\d+\.\d+$/);
    expect(makeVariable('METACONTROLLER_VERSION')).to.equal('v4.17.2');
    expect(makeVariable('KUBE_CONTEXT', ['KIND_CLUSTER=demo'])).to.equal('kind-demo');
  });

  describe('IMG', () => {
    const cases: [string, boolean][] = [
      ['pylambda-webhook:dev', true],
      ['pylambda-webhook', true],
      ['me/pylambda:1.0', true],
      ['ghcr.io/me/pylambda-webhook:1.2.3', false],
      ['localhost:5000/pylambda:1', false],
      ['registry.example:443/team/pylambda:0.1', false],
      [`ghcr.io/me/pylambda@sha256:${'a'.repeat(64)}`, false],
    ];
    let dir: string;
    before(() => {
      dir = `.cache/deploy-test-${process.pid}`;
    });
    after(() => rmSync(join(REPO_ROOT, dir), { recursive: true, force: true }));

    for (const [img, build] of cases) {
      it(`${img}: ${build ? 'built and loaded into kind' : 'pulled by the nodes'}, and deployed as is`, function () {
        this.timeout(60_000);
        expect(makeVariable('BUILD_IMAGE', [`IMG=${img}`])).to.equal(String(build));
        const { status, output } = make(['deploy-config', `IMG=${img}`, `DEPLOY_DIR=${dir}`]);
        expect(status, output).to.equal(0);
        const objects = kustomizeBuild(dir);
        const deployment = find(objects, 'Deployment', 'pylambda-webhook') as unknown as Deployment;
        const expected = img.includes('@') || /:[^/]*$/.test(img) ? img : `${img}:latest`;
        expect(deployment.spec!.template.spec!.containers[0]!.image).to.equal(expected);
        // The webhook names the runtime image its lambdas get.
        expect(deployment.spec!.template.spec!.containers[0]!.env).to.deep.include({
          name: 'PYLAMBDA_RUNTIME_IMAGE',
          value: `pylambda-runtime:${packageVersion()}`,
        });
        // Everything else is config/default unchanged.
        expect(objects.length).to.equal(kustomizeBuild('config/default').length);
      });
    }
  });

  it('stops with a clear message when docker is missing or has no engine', () => {
    let { status, output } = make(['docker-build', 'DOCKER=/nonexistent/docker']);
    expect(status).to.not.equal(0);
    expect(output).to.include("'/nonexistent/docker' is not installed");
    ({ status, output } = make(['docker-build', 'DOCKER=false']));
    expect(status).to.not.equal(0);
    expect(output).to.include('cannot reach a Docker engine');
    ({ status, output } = make(['deploy', 'DOCKER=/nonexistent/docker', 'KUBECTL=true']));
    expect(status).to.not.equal(0);
    expect(output).to.include("'/nonexistent/docker' is not installed");
  });

  it('stops with a clear message, and how to install it, when kind is missing', () => {
    const { status, output } = make(['kind-create', 'DOCKER=true', 'KIND=/nonexistent/kind']);
    expect(status).to.not.equal(0);
    expect(output).to.include("'/nonexistent/kind' is not installed");
    expect(output).to.include(`go install sigs.k8s.io/kind@${makeVariable('KIND_VERSION')}`);
  });

  it('undeploys PythonLambdas, then controllers, decorator finalizers, webhook, CRD, namespace', () => {
    // -n prints the commands without running them (the recipe has no sub-make).
    const { status, output } = make(['-n', 'undeploy', 'KUBECTL=kubectl']);
    expect(status, output).to.equal(0);
    const order = [
      'delete pythonlambdas.pylambda.dev --all --all-namespaces --wait',
      'delete compositecontroller/pythonlambda-controller decoratorcontroller/pylambda-deployment-decorator',
      'metacontroller.io/decoratorcontroller-pylambda-deployment-decorator',
      '-l app.kubernetes.io/name=pylambda-webhook',
      // The certificate job's cluster-wide roles (its namespaced objects go with the namespace).
      "delete clusterrole,clusterrolebinding -l 'app.kubernetes.io/name in (pylambda-certs,pylambda-hook-token)'",
      'delete -k config/crd',
      'delete namespace/pylambda-system',
    ].map((command) => {
      const at = output.indexOf(command);
      expect(at, command).to.be.greaterThan(-1);
      return at;
    });
    expect(order).to.deep.equal(order.slice().sort((a, b) => a - b));
    // Every kubectl call names the kind cluster's context, never whatever is current.
    const calls = output
      .split('\n')
      .filter((l) => /\bkubectl\b/.test(l) && !/command -v|is not installed/.test(l));
    expect(calls).to.have.length.greaterThan(5);
    for (const line of calls) {
      expect(line).to.include('--context kind-pylambda');
    }
  });

  it('makes `make test` build the kustomize the config tests use', () => {
    expect(deployMk).to.match(/^test: kustomize$/m);
    const { status, output } = make(['-n', 'kustomize']);
    expect(status, output).to.equal(0);
  });
});

describe('config/metacontroller', () => {
  const kustomization = parse(
    readFileSync(join(REPO_ROOT, 'config', 'metacontroller', 'kustomization.yaml'), 'utf8'),
  ) as {
    resources: string[];
    patches: { target?: Record<string, string>; patch?: string; path?: string }[];
  };
  const statefulSetPatches = kustomization.patches.filter((p) => p.target?.kind === 'StatefulSet');

  it('installs the released production manifests of the pinned Metacontroller', () => {
    const version = /^METACONTROLLER_VERSION := (\S+)$/m.exec(deployMk)?.[1];
    expect(kustomization.resources).to.deep.equal([
      `https://github.com/metacontroller/metacontroller/manifests/production?ref=${version}`,
      'leader-election-rbac.yaml',
    ]);
    // The upstream wildcard ClusterRole is replaced (test/config/metacontroller-rbac.test.ts).
    expect(kustomization.patches).to.deep.include({ path: 'clusterrole.yaml' });
    // The e2e control plane runs the same release.
    const e2e = readFileSync(join(REPO_ROOT, 'e2e', 'lib.sh'), 'utf8');
    expect(/^METACONTROLLER_VERSION=(\S+)$/m.exec(e2e)?.[1]).to.equal(version);
  });

  it('appends --apply-strategy=server-side-apply and the client rate limit to the metacontroller container', function () {
    this.timeout(60_000);
    expect(statefulSetPatches).to.have.length(1);
    expect(statefulSetPatches[0]!.target).to.deep.include({
      kind: 'StatefulSet',
      name: 'metacontroller',
      namespace: 'metacontroller',
    });
    // The upstream base cannot be fetched here: apply the same patches to a StatefulSet laid out
    // like v4.17.2's manifests/production/metacontroller.yaml (one container, two args).
    const dir = mkdtempSync(join(tmpdir(), 'pylambda-mc-'));
    try {
      writeFileSync(
        join(dir, 'statefulset.yaml'),
        `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: metacontroller, namespace: metacontroller}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: metacontroller}}
  serviceName: ""
  template:
    metadata: {labels: {app.kubernetes.io/name: metacontroller}}
    spec:
      containers:
        - name: metacontroller
          image: ghcr.io/metacontroller/metacontroller:v4.17.2
          args: [--zap-log-level=4, --discovery-interval=20s]
`,
      );
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        JSON.stringify({ resources: ['statefulset.yaml'], patches: statefulSetPatches }),
      );
      const out = execFileSync(kustomizeBinary(), ['build', dir], { encoding: 'utf8' });
      const [statefulSet] = parseYamlStream(out) as unknown as { spec: Deployment['spec'] }[];
      expect(statefulSet!.spec!.template.spec!.containers[0]!.args).to.deep.equal([
        '--zap-log-level=4',
        '--discovery-interval=20s',
        '--apply-strategy=server-side-apply',
        '--client-go-qps=50',
        '--client-go-burst=100',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
