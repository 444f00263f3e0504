// The runtime a webhook renders for new pods: a version (pylambda's release unless
// PYLAMBDA_RUNTIME_VERSION says otherwise), the image that holds that version, and how pods get
// it. Versions are semantic versions, so two webhooks (say, an old and a new replica during the
// webhook's own rollout) agree which of two runtimes is newer.
import semver from 'semver';

export type RuntimeDelivery = 'init-container' | 'image-volume';
export const RUNTIME_DELIVERIES: RuntimeDelivery[] = ['init-container', 'image-volume'];

/** When a lambda on an older runtime moves to this one (hooks/runtime-choice.ts). */
export type RuntimeUpgrade = 'on-spec-change' | 'immediate';
export const RUNTIME_UPGRADES: RuntimeUpgrade[] = ['on-spec-change', 'immediate'];

export interface RuntimeRelease {
  version: string;
  image: string;
  delivery: RuntimeDelivery;
  upgrade: RuntimeUpgrade;
}

export const RUNTIME_IMAGE_REPOSITORY = 'pylambda-runtime';

export function defaultRuntimeImage(version: string): string {
  return `${RUNTIME_IMAGE_REPOSITORY}:${version}`;
}

/**
 * The first runtime that serves `/livez`. Every pod template this webhook renders probes liveness
 * there (render/lambda-deployment.ts), so it cannot render an older runtime: that runtime's
 * `/livez` would reach the handler.
 */
export const FIRST_LIVEZ_RUNTIME = '0.2.0';

export function servesLivez(version: string): boolean {
  return semver.gte(version, FIRST_LIVEZ_RUNTIME);
}

export function isRuntimeVersion(value: string): boolean {
  return semver.valid(value) === value;
}

/** < 0 when `a` is older than `b`, 0 when the same, > 0 when newer (semver precedence). */
export function compareRuntimeVersions(a: string, b: string): number {
  return semver.compare(a, b);
}
