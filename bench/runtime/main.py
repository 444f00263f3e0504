# The trivial handler of the runtime benchmark: the event back, as the echo server does.
def handler(event, context):
    return event
