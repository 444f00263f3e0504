"""pylambda runtime: serve one Python function, handler(event, context), over HTTP.

Every lambda pod runs it as `python -u -P -m pylambda_runtime`, with PYTHONPATH naming the
folder that holds this package. It ships in pylambda's runtime image, from which it is
copied into the pod, and uses only the standard library (Python 3.11+, for -P), so the
stock python:<v>-slim image runs it with no image build. -P keeps the working directory
(the user's code) off the start of sys.path until the runtime has imported itself; the
runtime then puts the code dir first for the user's own imports, and its own modules,
imported relatively, cannot be shadowed by a user's settings.py or logs.py.

Settings come from PYLAMBDA_* environment variables, over an optional settings.json
(settings.py). The contract for handler authors (event, context, return forms, status
codes, settings, limits) is in runtime/README.md.

The modules, in the order a call meets them: process (start and stop), server (accepting
connections), connection (one connection's requests), framing and deadlines (reading a
request), bodies (the event in, the response out), calls and watchdog (calling the
handler under its deadline), state, metrics, logs, output (what the handler prints) and
settings.
"""

__version__ = "0.2.0"  # the "version" of pylambda's package.json
