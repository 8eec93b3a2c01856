"""How a command ends: the exit statuses of the command line and the one exception that carries them.

A command never calls ``sys.exit``. When its output is complete and it must end with a status other
than 0, it raises ``Finished(status)``; ``PromoreadyError`` carries its own ``exit_code``. Only the
group's ``invoke`` (the outermost layer, as click's ``Command.main``) turns either into the status.
"""

from __future__ import annotations

#: Done.
OK = 0
#: Done, and ``--fail-on`` matched a verdict (or a ladder example failed).
MATCHED = 1
#: Bad input or usage: file, line and field path on stderr.
BAD_INPUT = 2
#: An internal engine fault: a bug to report.
INTERNAL = 3
#: The system refused a resource (disk full, ``ulimit -f``): the work completed is kept (``ResourceError``).
RESOURCE = 4
#: Interrupted by Ctrl-C before a command took over its own signals.
INTERRUPTED = 130
#: stdout was closed by its reader (SIGPIPE's conventional status).
BROKEN_PIPE = 141


def signalled(signum: int) -> int:
    """The conventional status of a run ended by signal ``signum`` (128 + its number)."""
    return 128 + signum


class Finished(Exception):
    """A command's output is complete; end the process with ``status``."""

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(status)
