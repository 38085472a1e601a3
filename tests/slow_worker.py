"""`celery -A portal worker` whose briefing renders first sleep: the integration test kills it
in the middle of a render. Run as `python -m tests.slow_worker SECONDS <celery arguments>`.

The delay is patched in here, in the test suite, so that production code carries no hook.
"""

from __future__ import annotations

import sys
import time

from celery.signals import worker_process_init


def main() -> None:
    delay = float(sys.argv.pop(1))

    @worker_process_init.connect(weak=False)
    def slow_down_renders(**kwargs) -> None:
        # In each pool process, after Django is set up.
        from briefings import rendering

        original = rendering.render_briefing_pdf

        def slow(*args, **kw):
            time.sleep(delay)
            return original(*args, **kw)

        rendering.render_briefing_pdf = slow

    from celery.__main__ import main as celery

    sys.argv[0] = "celery"
    celery()


if __name__ == "__main__":
    main()
