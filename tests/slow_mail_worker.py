"""`celery -A portal worker` whose safety-check e-mails first sleep, after the recipient is
claimed and before the e-mail goes out: the integration test kills it in the middle of a
cycle. Run as `python -m tests.slow_mail_worker SECONDS <celery arguments>`.

The delay is patched in here, in the test suite, so that production code carries no hook.
"""

from __future__ import annotations

import sys
import time

from celery.signals import worker_process_init


def main() -> None:
    delay = float(sys.argv.pop(1))

    @worker_process_init.connect(weak=False)
    def slow_down_asks(**kwargs) -> None:
        # In each pool process, after Django is set up.
        from core.mail import MailMerge

        original = MailMerge.message

        def slow(self, *args, **kw):
            if self.template == "safety-check-ask":
                time.sleep(delay)
            return original(self, *args, **kw)

        MailMerge.message = slow  # type: ignore[method-assign]

    from celery.__main__ import main as celery

    sys.argv[0] = "celery"
    celery()


if __name__ == "__main__":
    main()
