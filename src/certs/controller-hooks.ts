// The hooks of pylambda's two controllers: the CA bundle they trust, put into every hook that
// does not name a CA of its own, and changes written at the version that was read.
import {
  type CertificateJobSettings,
  type JobContext,
  NotReady,
  WriteConflict,
} from './job-context.js';
import { ApiError } from './kube-api.js';

// Every hook the controllers' schema has (pylambda uses the first three; Metacontroller v4.17.2
// declares the other two without calling them).
const HOOK_NAMES = ['sync', 'finalize', 'customize', 'preUpdateChild', 'postUpdateChild'] as const;

export function controllerPath(controller: { resource: string; name: string }): string {
  return `/apis/metacontroller.k8s.io/v1alpha1/${controller.resource}/${controller.name}`;
}

/** The bundle the first controller's sync hook trusts now (undefined before the first run). */
export async function publishedBundle(
  ctx: JobContext,
  settings: CertificateJobSettings,
): Promise<string | undefined> {
  const first = settings.controllers[0];
  if (!first) return undefined;
  const object = (await ctx.api.get(controllerPath(first))) as
    { spec?: { hooks?: { sync?: { webhook?: { caBundle?: { inline?: string } } } } } } | undefined;
  return object?.spec?.hooks?.sync?.webhook?.caBundle?.inline;
}

/**
 * A merge patch at the version that was read: the API server refuses it (409, a WriteConflict,
 * and the run starts over) if the controller changed since, so a hook removed meanwhile is never
 * re-created as a stub, and a newer bundle another run published is never overwritten.
 */
export async function patchController(
  ctx: JobContext,
  path: string,
  resourceVersion: string | undefined,
  patch: Record<string, unknown>,
): Promise<void> {
  try {
    const metadata = (patch.metadata ?? {}) as Record<string, unknown>;
    await ctx.api.mergePatch(path, { ...patch, metadata: { ...metadata, resourceVersion } });
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      throw new WriteConflict(`${path} changed while this run patched it`);
    }
    throw err;
  }
}

/** Puts `bundle` into every hook of pylambda's controllers that does not name a CA of its own. */
export async function publishTrust(
  ctx: JobContext,
  settings: CertificateJobSettings,
  bundle: string,
): Promise<void> {
  for (const controller of settings.controllers) {
    const path = controllerPath(controller);
    const object = (await ctx.api.get(path)) as
      | { metadata?: { resourceVersion?: string }; spec?: { hooks?: Record<string, unknown> } }
      | undefined;
    if (!object) throw new NotReady(`${controller.resource}/${controller.name} does not exist yet`);
    const hooks = object.spec?.hooks ?? {};
    const patch: Record<string, unknown> = {};
    for (const name of HOOK_NAMES) {
      const webhook = (
        hooks[name] as { webhook?: { caBundle?: Record<string, unknown> } } | undefined
      )?.webhook;
      if (!webhook) continue;
      const caBundle = webhook.caBundle ?? {};
      if (caBundle.secretRef || caBundle.configMapRef) {
        ctx.log('hook names a CA of its own; left alone', {
          controller: controller.name,
          hook: name,
        });
        continue;
      }
      if (caBundle.inline !== bundle) patch[name] = { webhook: { caBundle: { inline: bundle } } };
    }
    if (Object.keys(patch).length === 0) continue;
    await patchController(ctx, path, object.metadata?.resourceVersion, { spec: { hooks: patch } });
    ctx.log('hooks now trust the CA', {
      controller: `${controller.resource}/${controller.name}`,
      hooks: Object.keys(patch),
    });
  }
}
