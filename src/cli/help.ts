// The help texts. Exit codes are stated here and in docs/cli.md; scripts rely on them.
export const EXIT_CODES_HELP = `Exit codes:
    0  success (render printed; invoke got a 2xx answer; --serve stopped on a signal)
    1  usage or input error: options, missing file, invalid YAML, no lambda, invalid spec, bad --event
    2  the runtime failed: requirements did not install, it did not start, or the handler did not import
    3  the function answered with a status outside 2xx (the body is still printed)
  130  invoke was interrupted (SIGINT or SIGTERM) before the answer`;

export const MAIN_HELP = `pylambda: render and run pylambda lambdas locally, before any cluster.

Usage:
  pylambda render -f FILE [-n NAMESPACE] [-o yaml|json] [--name NAME]
  pylambda invoke -f FILE [--name NAME] [--event JSON | --event-file PATH] [--method M]
                  [--path P] [--header 'Name: value']... [--serve [--port N]]
  pylambda help [render|invoke]

Commands:
  render   print the objects the operator would create for each lambda in FILE
  invoke   run a lambda from FILE with the very runtime its pods run, and call it once
           (or keep serving it with --serve)

A lambda is a PythonLambda (pylambda.dev/v1alpha1) or an apps/v1 Deployment annotated
pylambda.dev/handler. Other documents are skipped. See docs/cli.md.

${EXIT_CODES_HELP}
`;

export const RENDER_HELP = `Usage: pylambda render -f FILE [-n NAMESPACE] [-o yaml|json] [--name NAME]

Prints what the operator would create, computed by the same sync hooks the webhook serves:
  - for each PythonLambda: its ConfigMap, Deployment and Service, and its
    PodDisruptionBudget and HorizontalPodAutoscaler when the spec asks for them;
  - for each Deployment annotated pylambda.dev/handler: the attached settings ConfigMap and
    Service, and (as a YAML comment, or on stderr with -o json) the annotations the operator
    writes on the Deployment.
Other documents in FILE are skipped. If any lambda is invalid, nothing is printed and every
problem is listed on stderr, each with its field.

Options:
  -f, --file FILE            YAML file, several documents allowed ('-' reads stdin)
  -n, --namespace NAMESPACE  namespace for documents without metadata.namespace (default: default)
  -o, --output yaml|json     yaml (default): documents for kubectl apply -f -; json: a v1 List
      --name NAME            only the lambda with this metadata.name
  -h, --help                 this help

Environment: PYLAMBDA_APPLY_STRATEGY, PYLAMBDA_MAX_CODE_BYTES, PYLAMBDA_MAX_JSON_VALUES,
PYLAMBDA_CLUSTER_DOMAIN and PYLAMBDA_RUNTIME_{VERSION,IMAGE,DELIVERY,UPGRADE}, as on the webhook.

${EXIT_CODES_HELP}
`;

export const INVOKE_HELP = `Usage: pylambda invoke -f FILE [--name NAME] [--event JSON | --event-file PATH]
                       [-X METHOD] [--path PATH] [-H 'Name: value']... [--serve [--port N]]

Renders the lambda, lays its ConfigMap out in a temporary directory exactly as the pod's
volumes would, installs its requirements (python3 -m pip install --target ...), and starts the
very runtime package the pod runs, with the container's environment (paths mapped to the
temporary directory; valueFrom variables are skipped with a warning), on 127.0.0.1. Once
GET /healthz answers 200 it sends one request, prints the response body on stdout and the
status line on stderr, stops the runtime and removes the temporary directory.

For an annotated Deployment, the code comes from a ConfigMap in FILE that the Deployment
mounts at its code directory (pylambda.dev/code-dir, default /opt/pylambda/code).

Options:
  -f, --file FILE            YAML file with the lambda ('-' reads stdin)
      --name NAME            which lambda, when FILE holds several
  -n, --namespace NAMESPACE  namespace for documents without one (default: default)
  -e, --event JSON           the event, sent as the JSON body (without it no body is sent)
      --event-file PATH      the event from a JSON file ('-' reads stdin)
  -X, --method METHOD        HTTP method (default: POST)
      --path PATH            request path and query (default: /)
  -H, --header 'Name: value' a request header; repeat for more
      --serve                keep serving on 127.0.0.1 until SIGINT or SIGTERM; prints the URL
      --port N               port for --serve (default: 8080; 0 picks a free one)
      --python PATH          the Python to run (default: $PYTHON, else python3)
      --start-timeout SECONDS  how long to wait for the handler to import (default: 30)
  -v, --verbose              show every log line of the runtime (on stderr)
  -h, --help                 this help

${EXIT_CODES_HELP}
`;
