"""The package made ready as an installation has it, before its start-up is timed.

`pip install` compiles the modules' bytecode; `python -m policybook.packaged` keeps the
package's data files parsed beside it (`policybook/packaged.py`). A checkout run where
PYTHONDONTWRITEBYTECODE is set (as some machines set it) has neither, and each run would
compile every module and parse the vocabulary first: that is not what a user's command
costs, so the benchmarks time the command as installed.
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
from pathlib import Path


def as_installed(source: Path) -> None:
    """Compile `source/policybook` and keep its data files parsed (quietly)."""
    compileall.compile_dir(str(source / "policybook"), quiet=1)
    subprocess.run([sys.executable, "-m", "policybook.packaged"], check=True,
                   env={**os.environ, "PYTHONPATH": str(source)}, cwd=source,
                   stdout=subprocess.DEVNULL)
