// config/default, rendered as `kubectl apply -k` would: the objects it installs, the webhook pod's
// hardening (the restricted Pod Security Standard and more), the Service the controllers call
// (HTTPS; plain HTTP in config/plain-http), the network policy and the disruption budget. The
// certificate job is test/config/certs.test.ts. The server-side dry run against a real API server is
// e2e/scenarios/90-config-default-dry-run.sh.
import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Container, PodSpec, Service } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { configFromEnv } from '../../src/config.js';
import { find, kustomizeBuild, type RenderedObject } from './kustomize.js';

const NAMESPACE = 'pylambda-system';
const WEBHOOK = 'pylambda-webhook';
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'CompositeController',
  'ClusterRole',
  'ClusterRoleBinding',
  'DecoratorController',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

interface HookWebhook {
  service?: { name: string; namespace: string; port?: number; protocol?: string };
  url?: string;
  path?: string;
}
type Hooks = Record<string, { webhook: HookWebhook }>;

describe('config/default', () => {
  let objects: RenderedObject[];
  let deployment: Deployment;
  let pod: PodSpec;
  let container: Container;

  before(function () {
    this.timeout(60_000);
    objects = kustomizeBuild('config/default');
    deployment = find(objects, 'Deployment', WEBHOOK) as unknown as Deployment;
    pod = deployment.spec!.template.spec!;
    container = pod.containers.find((c) => c.name === 'webhook')!;
  });

  it('renders the CRD, both controllers, the users’ roles and the webhook service, nothing else', () => {
    const ids = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(ids.slice().sort()).to.deep.equal(
      [
        'ClusterRole//pylambda-certs',
        'ClusterRole//pylambda-edit',
        'ClusterRole//pylambda-view',
        'ClusterRoleBinding//pylambda-certs',
        'CompositeController//pythonlambda-controller',
        `CronJob/${NAMESPACE}/pylambda-webhook-certs`,
        'CustomResourceDefinition//pythonlambdas.pylambda.dev',
        'DecoratorController//pylambda-deployment-decorator',
        `Deployment/${NAMESPACE}/${WEBHOOK}`,
        `Job/${NAMESPACE}/pylambda-webhook-certs`,
        `Namespace//${NAMESPACE}`,
        `NetworkPolicy/${NAMESPACE}/${WEBHOOK}`,
        `PodDisruptionBudget/${NAMESPACE}/${WEBHOOK}`,
        `Role/${NAMESPACE}/pylambda-certs`,
        `RoleBinding/${NAMESPACE}/pylambda-certs`,
        `Service/${NAMESPACE}/${WEBHOOK}`,
        `ServiceAccount/${NAMESPACE}/pylambda-certs`,
        `ServiceAccount/${NAMESPACE}/${WEBHOOK}`,
        'ValidatingAdmissionPolicy//pylambda-takeover-guard',
        'ValidatingAdmissionPolicyBinding//pylambda-takeover-guard',
      ].sort(),
    );
  });

  it('puts namespaced objects in pylambda-system, cluster-scoped ones in none, and labels all', () => {
    for (const o of objects) {
      const id = `${o.kind}/${o.metadata.name}`;
      if (CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, id).to.equal(undefined);
      else expect(o.metadata.namespace, id).to.equal(NAMESPACE);
      expect(o.metadata.labels?.['app.kubernetes.io/part-of'], id).to.equal('pylambda');
    }
  });

  it('creates the Namespace first, so one `kubectl apply` can create the objects inside it', () => {
    expect(objects[0]?.kind).to.equal('Namespace');
  });

  it('enforces the restricted Pod Security Standard on the namespace', () => {
    const labels = find(objects, 'Namespace', NAMESPACE).metadata.labels ?? {};
    expect(labels['pod-security.kubernetes.io/enforce']).to.equal('restricted');
  });

  it('grants the webhook no API access: no role bound to it, no token', () => {
    const bindings = objects.filter(
      (o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding',
    );
    // Only the certificate job's account is bound to anything (certs.test.ts checks its rules).
    for (const binding of bindings) {
      const subjects = (binding as unknown as { subjects: { name: string; namespace?: string }[] })
        .subjects;
      expect(
        subjects.map((subject) => `${subject.namespace}/${subject.name}`),
        binding.metadata.name,
      ).to.deep.equal([`${NAMESPACE}/pylambda-certs`]);
    }
    const account = find(objects, 'ServiceAccount', WEBHOOK);
    expect(account.automountServiceAccountToken).to.equal(false);
    expect(pod.serviceAccountName).to.equal(WEBHOOK);
    expect(pod.automountServiceAccountToken).to.equal(false);
  });

  describe('the webhook Deployment', () => {
    it('runs 2 replicas and keeps both serving through a rollout', () => {
      expect(deployment.spec!.replicas).to.equal(2);
      expect(deployment.spec!.strategy?.type).to.equal('RollingUpdate');
      expect(deployment.spec!.strategy?.rollingUpdate?.maxUnavailable).to.equal(0);
      expect(deployment.spec!.strategy?.rollingUpdate?.maxSurge).to.be.oneOf([1, '25%', '50%']);
    });

    it('selects its own pods with labels its template carries', () => {
      const selector = deployment.spec!.selector.matchLabels ?? {};
      expect(Object.keys(selector)).to.have.length.greaterThan(0);
      expect(deployment.spec!.template.metadata?.labels).to.include(selector);
    });

    it('runs as a numeric non-root user with the RuntimeDefault seccomp profile', () => {
      const podContext = pod.securityContext ?? {};
      expect(podContext.runAsNonRoot).to.equal(true);
      expect(podContext.runAsUser).to.be.a('number').and.to.be.greaterThan(0);
      expect(podContext.runAsGroup).to.be.a('number').and.to.be.greaterThan(0);
      expect(podContext.seccompProfile?.type).to.equal('RuntimeDefault');
    });

    it('hardens every container: no privilege escalation, no capabilities, read-only root', () => {
      const containers = [...pod.containers, ...(pod.initContainers ?? [])];
      for (const c of containers) {
        const ctx = c.securityContext ?? {};
        expect(ctx.allowPrivilegeEscalation, c.name).to.equal(false);
        expect(ctx.privileged ?? false, c.name).to.equal(false);
        expect(ctx.readOnlyRootFilesystem, c.name).to.equal(true);
        expect(ctx.capabilities?.drop, c.name).to.deep.equal(['ALL']);
        expect(ctx.capabilities?.add ?? [], c.name).to.deep.equal([]);
        // A container may not undo the pod's non-root user.
        if (ctx.runAsUser !== undefined) expect(ctx.runAsUser, c.name).to.be.greaterThan(0);
        if (ctx.runAsNonRoot !== undefined) expect(ctx.runAsNonRoot, c.name).to.equal(true);
        if (ctx.seccompProfile) expect(ctx.seccompProfile.type, c.name).to.equal('RuntimeDefault');
      }
    });

    it('uses nothing the restricted standard forbids: host namespaces, host paths, host ports', () => {
      expect(pod.hostNetwork ?? false).to.equal(false);
      expect(pod.hostPID ?? false).to.equal(false);
      expect(pod.hostIPC ?? false).to.equal(false);
      for (const volume of pod.volumes ?? []) {
        expect(volume.hostPath, volume.name).to.equal(undefined);
      }
      for (const port of container.ports ?? [])
        expect(port.hostPort, port.name).to.equal(undefined);
    });

    it('probes /healthz (liveness) and /readyz (readiness) on the container port', () => {
      const port = container.ports?.find((p) => p.name === 'https');
      expect(port?.containerPort).to.equal(8080);
      expect(container.livenessProbe?.httpGet?.path).to.equal('/healthz');
      expect(container.readinessProbe?.httpGet?.path).to.equal('/readyz');
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        expect(probe?.httpGet?.port).to.be.oneOf(['https', 8080]);
        expect(probe?.httpGet?.scheme).to.equal('HTTPS');
      }
    });

    it('has CPU and memory requests and a memory limit', () => {
      const { requests, limits } = container.resources ?? {};
      expect(requests).to.have.keys('cpu', 'memory');
      expect(limits).to.include.keys('memory');
    });

    it('listens on the PORT the probes and the Service use', () => {
      const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
      expect(env.PORT).to.equal('8080');
    });

    it('reads the apply strategy from each request (fits either Metacontroller), and drains before it stops', () => {
      const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
      // Users apply config/default to clusters whose Metacontroller runs either strategy.
      expect(env.PYLAMBDA_APPLY_STRATEGY).to.equal(undefined);
      expect(env.PYLAMBDA_MAX_CODE_BYTES).to.equal(undefined);
      expect(configFromEnv(env).applyStrategy).to.equal(undefined);
      const delay = Number(env.PYLAMBDA_SHUTDOWN_DELAY_SECONDS);
      expect(delay).to.be.within(1, 15);
      const timeout = Number(env.PYLAMBDA_SHUTDOWN_TIMEOUT_SECONDS ?? 20);
      expect(pod.terminationGracePeriodSeconds ?? 30).to.be.greaterThan(delay + timeout);
    });

    it('uses the image that `make deploy` overrides, pulled only when not loaded into kind', () => {
      expect(container.image).to.equal('pylambda-webhook:dev');
      expect(container.imagePullPolicy).to.equal('IfNotPresent');
    });
  });

  it('exposes the webhook at the Service, port and paths both controllers call', () => {
    const service = find(objects, 'Service', WEBHOOK) as unknown as Service;
    const selector = deployment.spec!.selector.matchLabels!;
    expect(service.spec!.selector).to.deep.equal(selector);
    const controllers = objects.filter((o) => o.kind.endsWith('Controller'));
    expect(controllers).to.have.length(2);
    const paths: string[] = [];
    for (const controller of controllers) {
      const hooks = (controller.spec as { hooks: Hooks }).hooks;
      for (const [hook, { webhook }] of Object.entries(hooks)) {
        const id = `${controller.kind} ${hook}`;
        expect(webhook.url, id).to.equal(undefined);
        expect(webhook.service?.name, id).to.equal(WEBHOOK);
        expect(webhook.service?.namespace, id).to.equal(NAMESPACE);
        const servicePort = service.spec!.ports!.find(
          (p) => p.port === (webhook.service?.port ?? 80),
        );
        expect(servicePort, `${id}: the Service has no port ${webhook.service?.port}`).to.not.equal(
          undefined,
        );
        expect(servicePort!.protocol ?? 'TCP').to.equal('TCP');
        expect(webhook.service?.protocol ?? 'http', id).to.equal('https');
        // The Service port leads to the container port the server listens on.
        const target = servicePort!.targetPort;
        const containerPort = container.ports!.find(
          (p) => p.name === target || p.containerPort === target,
        );
        expect(containerPort?.containerPort, id).to.equal(8080);
        paths.push(webhook.path!);
      }
    }
    // No PythonLambda finalize hook by default (config/components/composite-finalizer adds it).
    expect(paths.sort()).to.deep.equal([
      '/hooks/lambda-deployment/customize',
      '/hooks/lambda-deployment/finalize',
      '/hooks/lambda-deployment/sync',
      '/hooks/pythonlambda/customize',
      '/hooks/pythonlambda/sync',
    ]);
    expect(service.spec!.ports!.map((p) => p.port)).to.deep.equal([443]);
  });

  it('gives PythonLambdas no Metacontroller finalizer: their children are garbage-collected', () => {
    // Metacontroller v4.17.2 enables its finalizer only for a finalize hook
    // (pkg/controller/composite/controller.go, newParentController: cc.Spec.Hooks.Finalize != nil).
    const composite = find(objects, 'CompositeController', 'pythonlambda-controller');
    const hooks = (composite.spec as { hooks: Hooks }).hooks;
    expect(Object.keys(hooks).sort()).to.deep.equal(['customize', 'sync']);
    // The decorator keeps its finalize hook: the attachments of a Deployment that stays are not
    // garbage-collected when the annotation goes.
    const decorator = find(objects, 'DecoratorController', 'pylambda-deployment-decorator');
    expect(Object.keys((decorator.spec as { hooks: Hooks }).hooks).sort()).to.deep.equal([
      'customize',
      'finalize',
      'sync',
    ]);
  });

  it('lets only Metacontroller call the hooks and labelled namespaces scrape, and nothing out', () => {
    const policy = find(objects, 'NetworkPolicy', WEBHOOK) as unknown as NetworkPolicy;
    const spec = policy.spec!;
    expect(spec.podSelector.matchLabels).to.deep.equal(deployment.spec!.selector.matchLabels);
    expect(spec.policyTypes).to.have.members(['Ingress', 'Egress']);
    expect(spec.egress ?? []).to.deep.equal([]);
    const ingress = spec.ingress ?? [];
    const sources = ingress.map((rule) => {
      // Every rule names its peers and its ports: an empty `from` or `ports` would open everything.
      expect(rule.from, 'from').to.have.length(1);
      expect(rule.ports, 'ports').to.deep.equal([{ protocol: 'TCP', port: 8080 }]);
      const peer = rule.from![0]!;
      expect(peer.ipBlock).to.equal(undefined);
      expect(peer.podSelector).to.equal(undefined);
      return peer.namespaceSelector;
    });
    expect(sources).to.deep.equal([
      { matchLabels: { 'kubernetes.io/metadata.name': 'metacontroller' } },
      { matchLabels: { 'pylambda.dev/scrape-metrics': 'true' } },
    ]);
  });

  it('keeps one webhook pod through voluntary disruptions', () => {
    const pdb = find(objects, 'PodDisruptionBudget', WEBHOOK) as unknown as PodDisruptionBudget;
    expect(pdb.spec!.minAvailable).to.equal(1);
    expect(pdb.spec!.selector?.matchLabels).to.deep.equal(deployment.spec!.selector.matchLabels);
    expect(pdb.spec!.minAvailable).to.be.lessThan(deployment.spec!.replicas!);
  });
});
