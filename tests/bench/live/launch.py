"""Runs a Python command with this checkout's code only:

    python -m tests.bench.live.launch -m daphne ...      (a module, like python -m)
    python -m tests.bench.live.launch manage.py migrate  (a script)

A virtualenv shared between several checkouts (git worktrees) holds an editable install of
one of them. Its import finder comes after the current directory, but still supplies any
module that this checkout lacks, e.g. a template-tag package that exists only in the other
checkout's (possibly uncommitted) tree, and the server then runs a mix of both. The finders
of editable installs are dropped before the command runs; in a checkout with a virtualenv
of its own nothing changes.
"""

import runpy
import sys


def isolate() -> None:
    """Drop every editable-install finder and path hook (setuptools' ``__editable__``)."""

    def editable(item: object) -> bool:
        return getattr(item, "__module__", "").startswith("__editable__")

    sys.meta_path[:] = [finder for finder in sys.meta_path if not editable(finder)]
    sys.path_hooks[:] = [hook for hook in sys.path_hooks if not editable(hook)]
    sys.path_importer_cache.clear()


def main() -> None:
    isolate()
    args = sys.argv[1:]
    if args[:1] == ["-m"]:
        sys.argv = args[1:]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
