// The bearer token of config/components/hook-token: made once if there is none, never rotated.
import { createHash, randomBytes } from 'node:crypto';
import { controllerPath, patchController } from './controller-hooks.js';
import { type CertificateJobSettings, type JobContext, NotOurs, NotReady } from './job-context.js';
import { getSecret, madeByJob, secretText, writeSecret } from './job-secrets.js';

/** On the controllers, when the job made the token: their change makes Metacontroller read it again. */
const TOKEN_ANNOTATION = 'pylambda.dev/hook-token';

/** A token is made once and never rotated by the job (docs/hook-auth-tls.md says how to). */
export async function ensureToken(
  ctx: JobContext,
  settings: CertificateJobSettings,
  name: string,
): Promise<void> {
  const secret = await getSecret(ctx, settings.namespace, name);
  if (secretText(secret, 'token')?.trim()) return;
  if (secret && !madeByJob(secret)) {
    throw new NotOurs(
      `secret ${settings.namespace}/${name} has no token and was not made by this job, which leaves it alone`,
    );
  }
  const token = randomBytes(32).toString('hex');
  await writeSecret(ctx, settings.namespace, name, secret, 'Opaque', { token });
  // Metacontroller reads the token when it starts a controller. One whose hooks named the Secret
  // before it existed failed to start and waits in its retry backoff (minutes, growing); a change
  // to the controller starts it again now. The annotation holds a digest, never the token.
  const digest = createHash('sha256').update(token).digest('hex').slice(0, 16);
  for (const controller of settings.controllers) {
    const path = controllerPath(controller);
    const object = (await ctx.api.get(path)) as
      { metadata?: { resourceVersion?: string } } | undefined;
    if (!object) throw new NotReady(`${controller.resource}/${controller.name} does not exist yet`);
    await patchController(ctx, path, object.metadata?.resourceVersion, {
      metadata: { annotations: { [TOKEN_ANNOTATION]: digest } },
    });
  }
  ctx.log('made the hook token; the controllers will read it', {
    secret: `${settings.namespace}/${name}`,
  });
}
