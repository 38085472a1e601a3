"""EMAIL_URL=file:///folder writes one file per message, even when a batch goes through one
connection within the same second (contracts.md, EMAIL_URL)."""

import email
import email.policy

from django.core import mail

from core.mail_files import EmailBackend
from tests.mailbox import read_mailbox


def test_a_batch_sent_on_one_connection_is_one_file_per_message(tmp_path):
    messages = [
        mail.EmailMessage(f"Are you OK? ({n})", f"Body {n}", "desk@example.org", [f"t{n}@x.org"])
        for n in range(5)
    ]
    with EmailBackend(file_path=str(tmp_path)) as connection:
        assert connection.send_messages(messages) == 5

    files = sorted(tmp_path.iterdir())
    assert len(files) == 5
    subjects = set()
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        subjects.add(str(message["Subject"]))
        assert message.get_body(preferencelist=("plain",)).get_content().startswith("Body")
    assert subjects == {f"Are you OK? ({n})" for n in range(5)}
    assert sorted(m.subject for m in read_mailbox(tmp_path)) == sorted(subjects)


def test_a_message_without_recipients_writes_no_file(tmp_path):
    backend = EmailBackend(file_path=str(tmp_path))
    assert backend.send_messages([mail.EmailMessage("Nobody", "Body", "desk@example.org", [])]) == 0
    assert list(tmp_path.iterdir()) == []
