"""Reading one mail (no database, no server): headers in the charsets Chinese clients send, attachment
names, Message-IDs, auto-reply signs."""

from email.message import EmailMessage

import pytest

from inbound import parsing


def test_raw_8bit_gbk_headers_without_encoded_words_are_read():
    raw = "From: 王女士 <wang@tsa.example.com>\r\nSubject: 镕基路门店报错\r\n\r\n正文\r\n".encode("gbk")

    mail = parsing.parse_mail(raw)

    assert (mail.subject, mail.from_name, mail.body) == ("镕基路门店报错", "王女士", "正文\n")


def test_an_attachments_chinese_name_survives_and_folders_are_dropped():
    message = EmailMessage()
    message["From"] = "a@b.example"
    message.set_content("见附件")
    message.add_attachment(b"log", maintype="text", subtype="plain", filename="../../etc/错误日志.txt")

    mail = parsing.parse_mail(bytes(message))

    assert [item.name for item in mail.attachments] == ["错误日志.txt"]


def test_a_forwarded_mail_is_kept_whole_as_one_eml_attachment():
    inner = EmailMessage()
    inner["From"] = "c@d.example"
    inner["Subject"] = "原始邮件"
    inner.set_content("被转发的内容")
    outer = EmailMessage()
    outer["From"] = "a@b.example"
    outer.set_content("请看转发")
    outer.add_attachment(inner)

    mail = parsing.parse_mail(bytes(outer))

    assert mail.body.startswith("请看转发")
    [attachment] = mail.attachments
    assert attachment.name == "forwarded-1.eml"
    forwarded = parsing.parse_mail(attachment.content)
    assert (forwarded.subject, forwarded.body) == ("原始邮件", "被转发的内容\n")


def test_message_ids_are_normalised_and_long_ones_digested():
    long_id = "x" * 300 + "@example.com"
    raw = f"From: a@b.example\r\nMessage-ID: <{long_id}>\r\nReferences: <1@a> <2@a>\r\n\r\nx".encode()

    mail = parsing.parse_mail(raw)

    assert mail.message_id.startswith("sha256:") and mail.message_id == parsing.message_id_of(raw)
    assert mail.references == ["1@a", "2@a"] and mail.references_header == "<1@a> <2@a>"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Auto-Submitted: auto-generated", "Auto-Submitted"),
        ("Content-Type: multipart/report; report-type=delivery-status", "multipart/report"),
        ("Precedence: junk", "Precedence"),
        ("Precedence: first-class", ""),
        ("X-Autoreply: no", ""),
    ],
)
def test_auto_reply_signs(header, reason):
    raw = f"From: a@b.example\r\n{header}\r\n\r\nx".encode()

    assert reason in parsing.parse_mail(raw).auto_reason
    assert bool(parsing.parse_mail(raw).auto_reason) == bool(reason)


@pytest.mark.parametrize("raw", [b"", b"just some bytes without headers", b"Subject: x\r\n\r\nno sender"])
def test_a_mail_without_a_sender_is_unreadable(raw):
    with pytest.raises(parsing.UnreadableMail):
        parsing.parse_mail(raw)


def test_nul_characters_never_reach_the_database():
    raw = (
        b"From: a@b.example\r\nSubject: bad\x00subject\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nte\x00xt\r\n"
    )

    mail = parsing.parse_mail(raw)

    assert (mail.subject, mail.body) == ("badsubject", "text\n")
