// One lambda's life as the model runs it: the user (spec changes, invalid specs, scale changes,
// deletes, someone else's object under a name the lambda wants), Metacontroller and the
// Deployment controller (./metacontroller.ts, ./cluster.ts), and the clock. The real hook
// functions answer every sync; the invariants below are checked after every step.
import { expect } from 'chai';
import type { CompositeResponse } from '../../../src/hooks/composite-types.js';
import { createHookContext } from '../../../src/hooks/hook-context.js';
import type { ApplyStrategy } from '../../../src/lambda/code-size.js';
import { pythonLambdaSpec } from '../../../src/lambda/python-lambda-spec.js';
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { ownedBy } from '../../../src/metacontroller/ownership.js';
import { codeConfigMapName } from '../../../src/render/code-configmap.js';
import { codeHash } from '../../../src/render/code-hash.js';
import { MAX_RETAINED_CODE_HASHES } from '../../../src/status/code-retention.js';
import { canonicalJson } from '../../../src/render/hash.js';
import { rfc3339 } from '../../../src/status/transition-time.js';
import { TEST_RUNTIME } from '../../fixtures/lambda.js';
import { Cluster, GOOD_CODE_MARK, type Json } from './cluster.js';
import {
  MetacontrollerModel,
  RESTARTED_AT,
  type HookVersion,
  type Parent,
} from './metacontroller.js';

/** The wanted one, the observed template's, the served one and the retained ones. */
export const MAX_CODE_CONFIGMAPS = 3 + MAX_RETAINED_CODE_HASHES;
export const USER_LABEL = 'team.example/owner';

const PARENT_UID = 'aaaaaaaa-0000-4000-8000-000000000001';

/** A pod template without `kubectl rollout restart`'s annotation. */
function withoutRestart(template: Json | undefined): Json {
  const metadata = (template?.metadata ?? {}) as Json;
  const { [RESTARTED_AT]: _restart, ...annotations } = (metadata.annotations ?? {}) as Json;
  return { ...template, metadata: { ...metadata, annotations } };
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function lambdaCode(version: number, good: boolean): string {
  return good
    ? `${GOOD_CODE_MARK} (v${version})\ndef handler(event, context):\n    return ${version}\n`
    : `import module_that_is_not_there_v${version}\n`;
}

export interface WorldOptions {
  strategy: ApplyStrategy;
  version: HookVersion;
  /** Someone else's object already holds the Service or Deployment name. */
  foreign: 'none' | 'Service' | 'Deployment';
  /** Without the customize hook (default: with it, as config/controllers installs it). */
  customize?: boolean;
}

/** One hook context (compiling its validators once), reading the clock of the running world. */
const clock: { world?: LambdaWorld } = {};
const ctx = createHookContext({
  runtime: TEST_RUNTIME,
  clusterDomain: 'cluster.local',
  now: () => new Date(clock.world!.clockMs),
});

export class LambdaWorld {
  readonly cluster = new Cluster();
  readonly metacontroller: MetacontrollerModel;
  readonly parent: Parent;
  clockMs = Date.parse('2030-01-01T00:00:00Z');
  pushes = 0;
  specValid = true;
  lastPushGood = true;
  deleted = false;
  /** Objects someone else made, as they were made: pylambda must never change them. */
  readonly foreign = new Map<string, string>();

  constructor(readonly options: WorldOptions) {
    clock.world = this;
    this.metacontroller = new MetacontrollerModel(
      this.cluster,
      options.strategy,
      options.version,
      ctx,
      options.customize ?? true,
    );
    this.parent = {
      apiVersion: 'pylambda.dev/v1alpha1',
      kind: 'PythonLambda',
      metadata: { name: 'hello', namespace: 'demo', uid: PARENT_UID, generation: 1 },
      spec: { code: lambdaCode(0, true) },
    };
    if (options.foreign !== 'none') this.addForeign(options.foreign);
  }

  tick(seconds = 1): void {
    this.clockMs += seconds * 1000;
  }

  // ---- the user ----

  private writeSpec(spec: Json): void {
    this.parent.spec = spec;
    (this.parent.metadata as unknown as Json).generation =
      (this.parent.metadata.generation ?? 1) + 1;
  }

  push(good: boolean): void {
    this.pushes += 1;
    this.lastPushGood = good;
    this.specValid = true;
    const { port: _port, ...spec } = this.parent.spec;
    this.writeSpec({ ...spec, code: lambdaCode(this.pushes, good) });
  }

  /** The code ConfigMap the spec names now (none for an invalid spec). */
  wantedConfigMap(spec: Json = this.parent.spec): string | undefined {
    const result = pythonLambdaSpec({ name: 'hello', namespace: 'demo' }, spec, ctx.validateSpec);
    return result.ok ? codeConfigMapName('hello', codeHash(result.spec)) : undefined;
  }

  /** Someone makes a ConfigMap under the name the next push's code takes; then the user pushes. */
  pushOntoForeignConfigMap(good: boolean): void {
    const { port: _port, ...spec } = this.parent.spec;
    const name = this.wantedConfigMap({ ...spec, code: lambdaCode(this.pushes + 1, good) });
    if (name && !this.cluster.get('ConfigMap', name)) {
      const object: KubeObject = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name,
          namespace: 'demo',
          uid: this.cluster.nextUid(),
          labels: { app: 'theirs' },
        },
        data: { 'main.py': 'theirs\n' },
      };
      this.cluster.objects.set(Cluster.key('ConfigMap', name), object);
      this.foreign.set(Cluster.key('ConfigMap', name), JSON.stringify(object));
    }
    this.push(good);
  }

  /** Foreign objects under a name the lambda wants now: the Service's and Deployment's always. */
  conflicts(): string[] {
    const wanted = this.wantedConfigMap();
    return [...this.foreign.keys()].filter(
      (key) => !key.startsWith('ConfigMap/') || key === Cluster.key('ConfigMap', wanted ?? ''),
    );
  }

  pushInvalid(): void {
    this.specValid = false;
    this.writeSpec({ ...this.parent.spec, port: 80 });
  }

  scale(replicas: number): void {
    this.writeSpec({ ...this.parent.spec, replicas });
  }

  /** kubectl delete of one of the lambda's children (Metacontroller makes it again). */
  deleteChild(kind: 'Service' | 'Deployment'): void {
    const object = this.cluster.get(kind, 'hello');
    if (object && ownedBy(object, PARENT_UID)) this.cluster.deleteObject(kind, 'hello');
  }

  /** Someone creates an object under the name, if it is free. */
  addForeign(kind: 'Service' | 'Deployment'): void {
    if (this.cluster.get(kind, 'hello')) return;
    const object: KubeObject = {
      apiVersion: kind === 'Service' ? 'v1' : 'apps/v1',
      kind,
      metadata: {
        name: 'hello',
        namespace: 'demo',
        uid: this.cluster.nextUid(),
        labels: { app: 'theirs' },
      },
      spec:
        kind === 'Service'
          ? { selector: { app: 'theirs' }, ports: [{ port: 80 }] }
          : { replicas: 1 },
    };
    this.cluster.objects.set(Cluster.key(kind, 'hello'), object);
    this.foreign.set(Cluster.key(kind, 'hello'), JSON.stringify(object));
  }

  /** kubectl label on the lambda's Service: a field of another manager. */
  labelService(): void {
    const service = this.cluster.get('Service', 'hello');
    if (service && ownedBy(service, PARENT_UID)) {
      service.metadata.labels = { ...service.metadata.labels, [USER_LABEL]: 'ops' };
    }
  }

  /**
   * `kubectl rollout restart deployment/hello`: a new restartedAt pod annotation, so a new
   * ReplicaSet of the same code replaces every pod.
   */
  rolloutRestart(): void {
    const deployment = this.cluster.get('Deployment', 'hello');
    if (!deployment || !ownedBy(deployment, PARENT_UID)) return;
    const template = (deployment.spec as Json).template as Json;
    const metadata = template.metadata as Json;
    metadata.annotations = {
      ...(metadata.annotations as Json),
      [RESTARTED_AT]: rfc3339(this.clockMs),
    };
    (deployment.metadata as unknown as Json).generation = (deployment.metadata.generation ?? 1) + 1;
  }

  deleteLambda(): void {
    this.deleted = true;
    for (const [key, object] of [...this.cluster.objects.entries()]) {
      if (ownedBy(object, PARENT_UID)) {
        this.cluster.deleteObject(object.kind, object.metadata.name);
        this.cluster.objects.delete(key);
      }
    }
  }

  // ---- Metacontroller ----

  sync(): CompositeResponse | undefined {
    if (this.deleted) return undefined;
    const before = clone(this.parent.status);
    const truth = this.truthBeforeApply();
    const response = this.metacontroller.sync(clone(this.parent));
    this.checkAnswer(response, before, truth);
    // The answer is a fixed point of its own status: a resync with nothing else changed gives
    // it again, so Ready never depends on how many times the hook was asked.
    const again = this.metacontroller.resyncWithOwnStatus();
    expect(again.status, 'the status a resync with its own status gives').to.deep.equal(
      response.status,
    );
    expect(again.children, 'the children a resync with its own status gives').to.deep.equal(
      response.children,
    );
    this.metacontroller.apply(this.parent, response);
    return response;
  }

  // ---- invariants ----

  private truthBeforeApply() {
    const deployment = this.cluster.deployment();
    const template = (deployment?.spec.template as Json | undefined)?.metadata as Json | undefined;
    const templateHash = (template?.annotations as Record<string, string> | undefined)?.[
      'pylambda.dev/template-hash'
    ];
    const code = (t: unknown) => canonicalJson(withoutRestart(t as Json));
    return {
      templateHash,
      podTemplates: this.cluster.allPods().map(({ rs }) => rs.templateHash),
      /** What the Deployment's status says is available, all the hook can know of it. */
      available: (deployment?.status?.availableReplicas as number | undefined) ?? 0,
      /** Every pod's ReplicaSet has the Deployment's template, but for a restart. */
      onlyCurrentCode:
        deployment !== undefined &&
        this.cluster
          .allPods()
          .every(({ rs }) => code(rs.template) === code(deployment.spec.template)),
    };
  }

  private checkAnswer(
    response: CompositeResponse,
    before: Json | undefined,
    truth: ReturnType<LambdaWorld['truthBeforeApply']>,
  ): void {
    // No object pylambda does not own is in an answer (the customize hook is how the sync hook
    // sees one; without it, only dynamic-apply's failed create keeps it untouched).
    for (const child of response.children) {
      const existing = this.cluster.get(child.kind, child.metadata.name);
      expect(
        !existing || ownedBy(existing, PARENT_UID) || this.options.customize === false,
        `the answer holds ${child.kind} ${child.metadata.name}, which is not the lambda's`,
      ).to.equal(true);
      if (child.kind === 'Service') {
        const spec = (child.spec ?? {}) as Json;
        expect(spec.clusterIP, 'an answer claims the server-defaulted clusterIP').to.equal(
          undefined,
        );
        expect(
          child.metadata.labels?.[USER_LABEL],
          'an answer claims a label someone else set',
        ).to.equal(undefined);
      }
    }
    // The Deployment in an answer mounts only a code ConfigMap of the lambda's own.
    const answered = response.children.find((c) => c.kind === 'Deployment');
    if (answered) {
      const mounted = this.cluster.templateOf(answered).configMap;
      const holder = this.cluster.get('ConfigMap', mounted);
      expect(
        !holder || ownedBy(holder, PARENT_UID),
        `the Deployment in the answer mounts ConfigMap ${mounted}, which is not the lambda's`,
      ).to.equal(true);
    }
    const configMaps = response.children.filter((c) => c.kind === 'ConfigMap');
    expect(configMaps.length, 'code ConfigMaps in an answer').to.be.at.most(MAX_CODE_CONFIGMAPS);

    const ready = response.status.conditions?.find((c) => c.type === 'Ready');
    expect(ready, 'a Ready condition').to.not.equal(undefined);
    const previous = (before?.conditions as Json[] | undefined)?.find((c) => c.type === 'Ready');
    // lastTransitionTime changes exactly when the status flips, and then to now.
    if (previous && previous.status === ready!.status) {
      expect(ready!.lastTransitionTime, 'no flip keeps the time').to.equal(
        previous.lastTransitionTime,
      );
    } else {
      expect(ready!.lastTransitionTime, 'a flip is dated now').to.equal(rfc3339(this.clockMs));
    }
    // A restart replaces pods by pods of the same code: the ReplicaSets (which the customize
    // hook brings) show it, and Ready never calls them older code.
    if (truth.onlyCurrentCode && this.options.customize !== false) {
      expect(
        ready!.message,
        'older code named while every pod runs the current code',
      ).to.not.include('older code');
    }
    if (ready!.status !== 'True') return;
    // Ready=True: the spec is valid, every replica runs the wanted template, and every child is
    // observed and the lambda's, with nobody else's object under its names.
    expect(this.specValid, 'Ready=True for an invalid spec').to.equal(true);
    const desired = response.children.find((c) => c.kind === 'Deployment') as
      (KubeObject & { spec: Json }) | undefined;
    // Some pod answers, as far as the Deployment's status shows, unless zero replicas are wanted
    // (ScaledToZero, or Scaling while the last pods go).
    const wantedReplicas = ((desired?.spec ?? {}) as Json).replicas;
    if (wantedReplicas !== 0) {
      expect(truth.available, `Ready=True (${ready!.reason}) with no pod available`).to.be.above(0);
    }
    const wanted = ((desired?.spec.template as Json).metadata as Json).annotations as Record<
      string,
      string
    >;
    expect(
      truth.templateHash,
      'Ready=True before the Deployment runs the wanted template',
    ).to.equal(wanted['pylambda.dev/template-hash']);
    for (const template of truth.podTemplates) {
      expect(template, 'Ready=True while a pod runs another template').to.equal(
        wanted['pylambda.dev/template-hash'],
      );
    }
    for (const child of response.children) {
      if (child.kind === 'ConfigMap' && child !== configMaps[0]) continue;
      // An autoscaler or a disruption budget not created yet does not hold Ready back: a budget
      // comes with a scale to 2 replicas, which must not flip Ready (status/availability-check.ts).
      if (child.kind === 'HorizontalPodAutoscaler' || child.kind === 'PodDisruptionBudget')
        continue;
      const existing = this.cluster.get(child.kind, child.metadata.name);
      expect(
        existing && ownedBy(existing, PARENT_UID),
        `Ready=True without ${child.kind} ${child.metadata.name} observed`,
      ).to.equal(true);
    }
    expect(this.conflicts(), 'Ready=True despite a name conflict').to.deep.equal([]);
  }

  /** After every step: serving code is never deleted, foreign objects are untouched, bounds hold. */
  checkWorld(): void {
    for (const [key, made] of this.foreign) {
      expect(JSON.stringify(this.cluster.objects.get(key)), `${key} was changed`).to.equal(made);
    }
    if (this.deleted) return;
    const newest = this.cluster.newestReplicaSet();
    for (const rs of this.cluster.replicaSets) {
      const live = rs.replicas > 0 || rs.pods.length > 0;
      if (!live || !(rs.everServed || rs === newest)) continue;
      expect(
        this.cluster.get('ConfigMap', rs.configMap),
        `ReplicaSet of template ${rs.templateHash} (${rs.pods.length} pods, ${rs.replicas} wanted) lost its ConfigMap ${rs.configMap}`,
      ).to.not.equal(undefined);
    }
    const configMaps = [...this.cluster.objects.values()].filter(
      (o) => o.kind === 'ConfigMap' && ownedBy(o, PARENT_UID),
    );
    expect(configMaps.length, 'code ConfigMaps in the cluster').to.be.at.most(MAX_CODE_CONFIGMAPS);
  }

  /** Everything settles: syncs, controllers and pods until nothing changes (bounded). */
  settle(): CompositeResponse | undefined {
    let last: CompositeResponse | undefined;
    for (let round = 0; round < 8; round += 1) {
      this.tick();
      last = this.sync();
      this.cluster.deploymentControllerSync();
      this.cluster.replicaSetControllerSync();
      for (const pod of this.cluster.startablePods()) this.cluster.markReady(pod);
      this.cluster.deploymentControllerSync();
      this.checkWorld();
    }
    return last;
  }
}
