// Is the code we want now what the lambda serves? Judged on the Deployment the controller is
// really running: its template and replicas must be the ones we want, its controller must have
// observed them, and only then do its counts say anything about the current code.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { ANNOTATION_TEMPLATE_HASH } from '../render/labels.js';
import type { ConditionVerdict } from './conditions.js';
import type { DeploymentView } from './deployment-view.js';

export const READY = 'Ready';

export interface RolloutInput {
  desired: Deployment;
  observed: DeploymentView | undefined;
  url: string;
  /**
   * The Deployment finished a rollout of the template it runs now, and has run no other since
   * (status.servedTemplateHash): a change of replicas alone, a pod crashing or a scale from zero
   * then say how many pods serve the current code, never RollingOut. It is a fact recorded from
   * the Deployment, not the last Ready, so an answer fed back its own status says the same.
   */
  currentCodeServed: boolean;
}

function notReady(reason: string, message: string): ConditionVerdict {
  return { type: READY, status: 'False', reason, message };
}

function ready(reason: string, message: string): ConditionVerdict {
  return { type: READY, status: 'True', reason, message };
}

function replicasText(n: number): string {
  return `${n} ${n === 1 ? 'replica' : 'replicas'}`;
}

/** The verdict once the observed Deployment runs the template we want. */
function countsVerdict(view: DeploymentView, want: number, input: RolloutInput): ConditionVerdict {
  const { name, specReplicas, total, updated, available } = view;
  const old = view.olderCode;
  if (old > 0) {
    return notReady(
      'RollingOut',
      `${updated} of ${specReplicas} replicas of ${name} run the current code; ${replicasText(old)} with older code still running`,
    );
  }
  if (view.replicaFailure && updated < specReplicas) {
    return notReady(
      'ReplicaFailure',
      `Deployment ${name} cannot create pods: ${view.replicaFailure}`,
    );
  }
  // A pod scaled away drains its calls before it is gone: zero means none left at all.
  const draining = want === 0 && view.terminating > 0;
  const scaling = specReplicas !== want || total !== specReplicas || draining;
  if (input.currentCodeServed) {
    if (want === 0 && total === 0 && !draining) {
      return ready('ScaledToZero', `scaled to zero; ${input.url} answers once replicas > 0`);
    }
    if (available > 0 || want === 0) {
      // Pods outside the newest ReplicaSet, none of other code: a restart replacing them.
      if (want > 0 && specReplicas === want && total > updated) {
        return ready(
          'Restarting',
          `${available} of ${replicasText(total)} serve the current code at ${input.url}; its pods are being replaced (a restart), ${updated} of ${specReplicas} so far`,
        );
      }
      if (scaling) {
        return ready(
          'Scaling',
          `${available} of ${replicasText(total)} serve the current code at ${input.url}; scaling to ${want}`,
        );
      }
      if (available < specReplicas) {
        // A pod starting after a scale-up and one crashing look the same in the counts.
        return ready(
          'PartlyAvailable',
          `${available} of ${specReplicas} replicas serve the current code at ${input.url}; ${specReplicas - available} not available (starting, crashing or failing their readiness probe)`,
        );
      }
      return ready(
        'Available',
        `${available} of ${specReplicas} replicas serve the current code at ${input.url}`,
      );
    }
    const none =
      specReplicas === want
        ? `none of the ${replicasText(specReplicas)} of ${name} is available`
        : `no replica of ${name} is available yet (scaling to ${want})`;
    return notReady(
      'Unavailable',
      `${none}; the current code rolled out before, so its pods are starting, crashing or failing their readiness probe`,
    );
  }
  if (total > updated) {
    // A restart before the first rollout finished: its pods run the current code, yet it has
    // not served everywhere, so Ready stays False as it would with older pods.
    return notReady(
      'RollingOut',
      `${updated} of ${specReplicas} replicas of ${name} run the current pod template; ${replicasText(total - updated)} of the same code still being replaced (a restart)`,
    );
  }
  if (updated < specReplicas) {
    return notReady(
      'RollingOut',
      `${updated} of ${specReplicas} replicas of ${name} run the current code`,
    );
  }
  if (available < updated) {
    return notReady(
      'RollingOut',
      `${available} of ${updated} replicas of ${name} with the current code are available`,
    );
  }
  if (specReplicas !== want) {
    return notReady('RollingOut', `waiting for Deployment ${name} to be scaled to ${want}`);
  }
  if (want === 0 && total > 0) {
    return notReady('RollingOut', `${replicasText(total)} of ${name} still running; scaling to 0`);
  }
  if (view.terminating > 0) {
    // Still draining with the code it loaded (older code, in a rollout): Ready=True must mean
    // every answer comes from the current code.
    return notReady(
      'RollingOut',
      `${replicasText(view.terminating)} of ${name} still stopping (they may answer with older code until they are gone)`,
    );
  }
  return want === 0
    ? ready('ScaledToZero', `scaled to zero; ${input.url} answers once replicas > 0`)
    : ready('Available', `${available} of ${want} replicas serve the current code at ${input.url}`);
}

export function rolloutVerdict(input: RolloutInput): ConditionVerdict {
  const { desired, observed: view } = input;
  const name = desired.metadata!.name!;
  if (!view) return notReady('Creating', `waiting for Deployment ${name} to be created`);
  const wanted = desired.spec?.template?.metadata?.annotations?.[ANNOTATION_TEMPLATE_HASH];
  const want = desired.spec?.replicas ?? 1;
  if (view.templateHash !== wanted) {
    return notReady('RollingOut', `Deployment ${name} is being updated to pod template ${wanted}`);
  }
  if (!view.generationObserved) {
    // The counts are the previous generation's, yet pods of another template (`kubectl set image`
    // set back by our last answer; from the ReplicaSets when sent) still answer on the Service.
    if (view.olderCode > 0) {
      return notReady(
        'RollingOut',
        `${replicasText(view.olderCode)} of ${name} with older code still running; waiting for the Deployment controller to observe generation ${view.generation}`,
      );
    }
    if (input.currentCodeServed) {
      // The counts are the previous generation's: they still show whether a pod serves. None
      // does in a Deployment deleted by hand and made again (no status yet, its pods gone with
      // the old one), or one whose pods all crash: Ready=True then would say nothing answers.
      if (view.available === 0 && want > 0) {
        return notReady(
          'Unavailable',
          `no replica of ${name} is available yet (waiting for the Deployment controller to observe generation ${view.generation}); the current code rolled out before, so its pods are starting, crashing or failing their readiness probe`,
        );
      }
      // Already at zero, nothing draining: a change that scales nothing (a restart) keeps it so.
      if (want === 0 && view.specReplicas === 0 && view.total === 0 && view.terminating === 0) {
        return ready('ScaledToZero', `scaled to zero; ${input.url} answers once replicas > 0`);
      }
      if (view.restartPending && view.specReplicas === want) {
        return ready(
          'Restarting',
          `the current code serves at ${input.url}; waiting for the Deployment controller to replace the pods of ${name} (a restart)`,
        );
      }
      return ready(
        'Scaling',
        `the current code serves at ${input.url}; waiting for the Deployment controller to scale ${name} to ${want}`,
      );
    }
    return notReady(
      'RollingOut',
      `waiting for the Deployment controller to observe generation ${view.generation} of ${name}`,
    );
  }
  if (view.stalled) return notReady('RolloutStalled', `Deployment ${name}: ${view.stalled}`);
  return countsVerdict(view, want, input);
}
