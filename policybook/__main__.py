"""`python -m policybook`: the `policybook` command."""

import gc

# Loading the command allocates tens of thousands of objects that live as long as the
# process (modules, classes, functions, compiled patterns); the cycle collector would walk
# them again and again while they load, for nothing (a few per cent of a `diff`'s start).
gc.disable()
from .cli import main  # noqa: E402

gc.enable()

main()
