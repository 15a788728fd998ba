"""Every Python process of a `make compat` run on minifast gets minifast in FastAPI's place.

Some of FastAPI's tests start a fresh interpreter (`subprocess.run([sys.executable, ...])`) to
isolate global state. The harness puts this folder on PYTHONPATH and sets MINIFAST_COMPAT=1 for
runs on minifast, so such interpreters install the hook at start-up too, and those tests test
minifast rather than the FastAPI installed beside it for `--baseline`.
"""

import os

if os.environ.get("MINIFAST_COMPAT") == "1":
    from minifast import compat

    compat.install()
