// Pure: the environment a local runtime (or pip) runs with. The pod's container environment
// wins; from the user's shell only what finds programs and locales is useful, and PYLAMBDA_*
// or PYTHON* variables there (a PYTHONPATH, say) would make the laptop differ from the pod.
const POD_ONLY = /^(PYLAMBDA_|PYTHON)/;

export function processEnv(
  shell: NodeJS.ProcessEnv,
  pod: Record<string, string>,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(shell)) {
    if (value !== undefined && !POD_ONLY.test(name)) inherited[name] = value;
  }
  return { ...inherited, ...pod, ...overrides };
}

/** What `invoke` changes in the pod's environment, and why. */
export function localRuntimeSettings(port: number): Record<string, string> {
  return {
    // Loopback only: a laptop's lambda is not for the network.
    PYLAMBDA_HOST: '127.0.0.1',
    PYLAMBDA_PORT: String(port),
    // The drain exists so Kubernetes endpoints catch up; locally it would only delay the exit.
    PYLAMBDA_DRAIN_SECONDS: '0',
    // The CLI holds the runtime's stdin (runtime-process.ts): a CLI killed outright leaves no
    // runtime serving behind it.
    PYLAMBDA_STOP_WHEN_STDIN_CLOSES: 'true',
  };
}
