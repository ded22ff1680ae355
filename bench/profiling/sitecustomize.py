"""On the PYTHONPATH of every process a ``--profile`` bench run starts: the services and the
gateway sample where their CPU time goes (``cpu_sampler``); anything else is left alone."""

import os
import sys

if os.environ.get("BENCH_PROFILE_DIR") and any(
    arg.endswith("/nameko") or arg in ("nameko", "gateway") for arg in sys.orig_argv
):
    import cpu_sampler

    cpu_sampler.install(os.environ["BENCH_PROFILE_DIR"])
