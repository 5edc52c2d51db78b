"""Every user-facing string has a zh-hans translation, and the compiled catalogue is current."""

from pathlib import Path

import polib
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def test_every_message_has_a_chinese_translation():
    catalogue = polib.pofile(str(LOCALE / "zh_Hans/LC_MESSAGES/django.po"))
    entries = [entry for entry in catalogue if not entry.obsolete]
    assert len(entries) > 200
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert missing == [], f"untranslated: {missing}"
    assert fuzzy == [], f"fuzzy: {fuzzy}"


def test_compiled_catalogue_holds_the_latest_messages():
    expected = {
        "Technical Service Problem Quick Diagnosis Table": "技术服务问题快速诊断表",
        "Default order": "默认排序",
        "%(done)d / %(total)d tickets inserted": "已写入 %(done)d / %(total)d 个问题",
    }
    with translation.override("zh-hans"):
        assert {msgid: translation.gettext(msgid) for msgid in expected} == expected
