// How long Kubernetes waits after SIGTERM before it kills a lambda's pod. The runtime keeps
// serving for the drain period, then waits for unfinished calls: one that arrived just before
// may take the timeout to read its body and run, then the write timeout to send its response to
// a slow reader, and the runtime allows a second more (exit_wait_seconds in
// runtime/pylambda_runtime/process.py). The grace period covers all of it, so no response that
// is still being written is cut short.
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';
import { DRAIN_SECONDS } from './pod-layout.js';

/** The runtime's PYLAMBDA_WRITE_TIMEOUT_SECONDS when nothing sets it (the render does not). */
export const RUNTIME_WRITE_TIMEOUT_SECONDS = 30;
/**
 * The most of any one of a user's values the grace period follows: a value such as 1e300 would
 * render a grace period the API server cannot store. Past it, the kubelet's kill wins.
 */
export const MAX_GRACE_TERM_SECONDS = 3600;
/** Beyond the runtime's own wait: its extra second, and the process exiting. */
const EXIT_MARGIN_SECONDS = 5;

/**
 * The seconds the runtime will use for `name`: the user's value from spec.env where it is a
 * number the runtime accepts (their variables win over ours), else `fallback`.
 */
function runtimeSeconds(spec: LambdaSpec, name: string, fallback: number, zeroOk = false): number {
  const raw = (spec.env ?? []).find((e) => e.name === name)?.value;
  const value = raw?.trim() ? Number(raw) : NaN;
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroOk)) return fallback;
  return Math.min(Math.ceil(value), MAX_GRACE_TERM_SECONDS);
}

export function terminationGracePeriodSeconds(spec: LambdaSpec): number {
  return (
    runtimeSeconds(spec, 'PYLAMBDA_DRAIN_SECONDS', DRAIN_SECONDS, true) +
    runtimeSeconds(spec, 'PYLAMBDA_TIMEOUT_SECONDS', spec.timeoutSeconds) +
    runtimeSeconds(spec, 'PYLAMBDA_WRITE_TIMEOUT_SECONDS', RUNTIME_WRITE_TIMEOUT_SECONDS) +
    EXIT_MARGIN_SECONDS
  );
}
