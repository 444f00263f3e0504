// The HookContext the webhook builds (src/app.ts), built the same way for local use: the same
// schemas with defaults and the service's settings (PYLAMBDA_APPLY_STRATEGY,
// PYLAMBDA_MAX_CODE_BYTES, PYLAMBDA_MAX_JSON_VALUES, PYLAMBDA_CLUSTER_DOMAIN, PYLAMBDA_RUNTIME_*)
// from the environment.
import { configFromEnv, ConfigError } from '../config.js';
import { hookContextFromConfig, type HookContext } from '../hooks/hook-context.js';
import { CliError } from './exit-codes.js';

/** Only the settings that change what the hooks render; PORT or LOG_LEVEL in a shell must not matter. */
const RENDER_SETTINGS = [
  'PYLAMBDA_APPLY_STRATEGY',
  'PYLAMBDA_MAX_CODE_BYTES',
  'PYLAMBDA_MAX_JSON_VALUES',
  'PYLAMBDA_CLUSTER_DOMAIN',
  'PYLAMBDA_RUNTIME_VERSION',
  'PYLAMBDA_RUNTIME_IMAGE',
  'PYLAMBDA_RUNTIME_DELIVERY',
  'PYLAMBDA_RUNTIME_UPGRADE',
];

export function cliHookContext(env: NodeJS.ProcessEnv = process.env): HookContext {
  const renderEnv = Object.fromEntries(RENDER_SETTINGS.map((name) => [name, env[name]]));
  let config;
  try {
    config = configFromEnv(renderEnv);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message);
    throw e;
  }
  // The hooks read the clock only for a status condition; render prints children only.
  return hookContextFromConfig(config, () => new Date());
}
