// The Kubernetes side of the lifecycle model: the objects in one namespace, and a small
// Deployment controller, ReplicaSet controller and kubelet. Each is a few rules, written to
// match what the real controllers do where it matters to a lambda's life:
// - one ReplicaSet per pod template (the whole template, as the Deployment controller compares
//   them: a `kubectl rollout restart` makes a new one of the same code); the newest scales up within maxSurge 1, older ones scale
//   down only as far as availability allows (maxUnavailable 0), unhealthy pods first;
// - a pod starts only if its code ConfigMap exists (else it stays ContainerCreating), and turns
//   ready only if its code imports (the ConfigMap's main.py is good code);
// - an eviction deletes a pod; its ReplicaSet recreates one while it wants replicas;
// - status counts as the Deployment controller writes them, observedGeneration included.
import type { KubeObject } from '../../../src/metacontroller/objects.js';
import { canonicalJson, sha256Hex } from '../../../src/render/hash.js';

export type Json = Record<string, unknown>;

export interface Pod {
  name: string;
  ready: boolean;
}

export interface ReplicaSet {
  /** The Deployment's pod template it was made from, and its `pod-template-hash` label. */
  template: Json;
  podTemplateHash: string;
  templateHash: string;
  codeHash: string;
  configMap: string;
  replicas: number;
  pods: Pod[];
  /** Some pod of it was ever ready: the truth the hook can only infer. */
  everServed: boolean;
}

/** Code the kubelet can import: what a good push puts in main.py. */
export const GOOD_CODE_MARK = '# imports fine';

export class Cluster {
  objects = new Map<string, KubeObject>();
  replicaSets: ReplicaSet[] = [];
  /** A ResourceQuota is exhausted: the ReplicaSet controller cannot create pods. */
  quotaExhausted = false;
  /** The rollout of the current template passed its progress deadline. */
  deadlineExceeded = false;
  private serial = 0;

  static key(kind: string, name: string): string {
    return `${kind}/${name}`;
  }

  get(kind: string, name: string): KubeObject | undefined {
    return this.objects.get(Cluster.key(kind, name));
  }

  nextUid(): string {
    this.serial += 1;
    return `00000000-0000-4000-8000-${String(this.serial).padStart(12, '0')}`;
  }

  deployment(): (KubeObject & { spec: Json; status?: Json }) | undefined {
    for (const object of this.objects.values()) {
      if (object.kind === 'Deployment' && object.metadata.labels?.['controller-uid']) {
        return object as KubeObject & { spec: Json };
      }
    }
    return undefined;
  }

  /** Deleting a Deployment deletes its ReplicaSets and pods (the garbage collector). */
  deleteObject(kind: string, name: string): void {
    const object = this.get(kind, name);
    if (!object) return;
    this.objects.delete(Cluster.key(kind, name));
    if (object.kind === 'Deployment' && object.metadata.labels?.['controller-uid']) {
      this.replicaSets = [];
    }
  }

  templateOf(deployment: KubeObject) {
    const template = (deployment.spec as Json).template as Json;
    const annotations = ((template.metadata as Json).annotations ?? {}) as Record<string, string>;
    const volumes = ((template.spec as Json).volumes ?? []) as { configMap?: { name: string } }[];
    return {
      templateHash: annotations['pylambda.dev/template-hash'] ?? '',
      codeHash: annotations['pylambda.dev/code-hash'] ?? '',
      configMap: volumes.find((v) => v.configMap)?.configMap?.name ?? '',
    };
  }

  newestReplicaSet(): ReplicaSet | undefined {
    const deployment = this.deployment();
    if (!deployment) return undefined;
    return this.replicaSetOf(deployment);
  }

  private replicaSetOf(deployment: KubeObject & { spec: Json }): ReplicaSet | undefined {
    const template = canonicalJson(deployment.spec.template);
    return this.replicaSets.find((rs) => canonicalJson(rs.template) === template);
  }

  private available(rs: ReplicaSet): number {
    return rs.pods.filter((p) => p.ready).length;
  }

  /** The Deployment controller's reconcile: ReplicaSets scaled, then the status written. */
  deploymentControllerSync(): void {
    const deployment = this.deployment();
    if (!deployment) return;
    const spec = deployment.spec;
    const want = (spec.replicas as number | undefined) ?? 1;
    const { templateHash, codeHash, configMap } = this.templateOf(deployment);
    let newest = this.replicaSetOf(deployment);
    if (!newest) {
      const template = JSON.parse(JSON.stringify(spec.template)) as Json;
      newest = {
        template,
        podTemplateHash: sha256Hex(template).slice(0, 10),
        templateHash,
        codeHash,
        configMap,
        replicas: 0,
        pods: [],
        everServed: false,
      };
      this.replicaSets.push(newest);
      this.deadlineExceeded = false;
    }
    const olds = this.replicaSets.filter((rs) => rs !== newest);
    const sum = () => this.replicaSets.reduce((n, rs) => n + rs.replicas, 0);
    if (olds.every((rs) => rs.replicas === 0)) {
      newest.replicas = want; // not rolling: a plain scale
    } else {
      // Scale up the newest within the surge.
      const room = want + 1 - sum();
      if (newest.replicas < want && room > 0)
        newest.replicas += Math.min(room, want - newest.replicas);
      if (newest.replicas > want) newest.replicas = want;
      // Older ReplicaSets: unhealthy pods first, then as far as availability allows.
      const newestUnavailable = newest.replicas - this.available(newest);
      let maxScaledDown = sum() - want - newestUnavailable;
      for (const rs of olds) {
        if (maxScaledDown <= 0) break;
        const unhealthy = rs.replicas - this.available(rs);
        const down = Math.min(Math.max(unhealthy, 0), maxScaledDown);
        rs.replicas -= down;
        maxScaledDown -= down;
      }
      let canScaleDown = this.replicaSets.reduce((n, rs) => n + this.available(rs), 0) - want;
      for (const rs of olds) {
        if (canScaleDown <= 0) break;
        const down = Math.min(rs.replicas, canScaleDown);
        rs.replicas -= down;
        canScaleDown -= down;
      }
    }
    const pods = this.replicaSets.reduce((n, rs) => n + rs.pods.length, 0);
    const available = this.replicaSets.reduce((n, rs) => n + this.available(rs), 0);
    const updated = newest.pods.length;
    const complete = updated === want && pods === want && available === want;
    if (complete) this.deadlineExceeded = false;
    const conditions: Json[] = [
      {
        type: 'Progressing',
        status: this.deadlineExceeded ? 'False' : 'True',
        reason: this.deadlineExceeded
          ? 'ProgressDeadlineExceeded'
          : complete
            ? 'NewReplicaSetAvailable'
            : 'ReplicaSetUpdated',
        message: this.deadlineExceeded ? 'ReplicaSet has timed out progressing.' : 'progressing',
      },
    ];
    if (this.quotaExhausted && newest.pods.length < newest.replicas) {
      conditions.push({
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: 'pods "hello-x" is forbidden: exceeded quota: pods',
      });
    }
    const counts: Json = {
      replicas: pods,
      updatedReplicas: updated,
      readyReplicas: available,
      availableReplicas: available,
      unavailableReplicas: Math.max(want - available, 0),
    };
    deployment.status = {
      observedGeneration: deployment.metadata.generation,
      ...Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0)),
      conditions,
    };
  }

  /** The ReplicaSet controller: pods created or deleted to match each ReplicaSet's replicas. */
  replicaSetControllerSync(): void {
    for (const rs of this.replicaSets) {
      while (rs.pods.length > rs.replicas) {
        const unready = rs.pods.findIndex((p) => !p.ready);
        rs.pods.splice(unready >= 0 ? unready : rs.pods.length - 1, 1);
      }
      while (rs.pods.length < rs.replicas && !this.quotaExhausted) {
        this.serial += 1;
        rs.pods.push({ name: `${rs.templateHash.slice(0, 6)}-${this.serial}`, ready: false });
      }
    }
    this.replicaSets = this.replicaSets.filter(
      (rs) => rs.replicas > 0 || rs.pods.length > 0 || rs === this.newestReplicaSet(),
    );
  }

  /** Pods that the kubelet could start and whose code imports: candidates to turn ready. */
  startablePods(): Pod[] {
    const out: Pod[] = [];
    for (const rs of this.replicaSets) {
      const configMap = this.get('ConfigMap', rs.configMap);
      const data = (configMap?.data ?? {}) as Record<string, string>;
      if (!configMap || !(data['main.py'] ?? '').includes(GOOD_CODE_MARK)) continue;
      out.push(...rs.pods.filter((p) => !p.ready));
    }
    return out;
  }

  markReady(pod: Pod): void {
    pod.ready = true;
    for (const rs of this.replicaSets) if (rs.pods.includes(pod)) rs.everServed = true;
  }

  allPods(): { rs: ReplicaSet; pod: Pod }[] {
    return this.replicaSets.flatMap((rs) => rs.pods.map((pod) => ({ rs, pod })));
  }

  evict(pod: Pod): void {
    for (const rs of this.replicaSets) rs.pods = rs.pods.filter((p) => p !== pod);
  }
}
