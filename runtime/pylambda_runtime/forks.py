"""A handler that calls os.fork(). The child is a copy of the runtime with one thread, the
call's: had it returned from the handler into the runtime, it would answer the call a second
time on the client's connection, then go on reading that connection's requests, racing its
parent for them, without the log writer or the watchdog (threads fork does not copy), and
it would hold the listening port for as long as it lived. So the child drops its copy of
the listening socket as it starts (the port is the parent's alone), and ends the moment the
handler returns or raises in it, exiting as a Python program would: 0 after a return, a
SystemExit's code, 1 after any other exception. A child that runs its own work and calls
os._exit, as multiprocessing's do, never gets this far."""

import os

_RUNTIME_PID = os.getpid()  # this module is imported by the runtime's own process


def drop_in_children(listening) -> None:
    """Close `listening` (the server's socket) in every child forked from now on: closing
    the child's copy leaves the parent's open."""
    os.register_at_fork(after_in_child=listening.close)


def exit_if_forked_child(error) -> None:
    """End this process here if it is a child the handler forked (the handler returned, or
    raised `error`); in the runtime's own process, nothing."""
    if os.getpid() == _RUNTIME_PID:
        return
    if error is None:
        code = 0
    elif isinstance(error, SystemExit):
        code = error.code if isinstance(error.code, int) else 0 if error.code is None else 1
    else:
        code = 1
    os._exit(code & 0xFF)  # no cleanup of a copy of the runtime: nothing of it is the child's
