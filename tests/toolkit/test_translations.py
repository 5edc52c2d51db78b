"""Every user-facing string has a zh-hans translation, and the compiled catalogue is current."""

from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _entries(po_text):
    """Each entry of a .po file as a dict (msgid, msgstr or msgstr[0], fuzzy); enough for our files."""
    entries, current, field = [], {}, None
    for raw in [*po_text.splitlines(), ""]:
        line = raw.strip()
        if not line:
            if current.get("msgid"):
                entries.append(current)
            current, field = {}, None
            continue
        if line.startswith("#,") and "fuzzy" in line:
            current["fuzzy"] = True
        if line.startswith("#"):
            continue
        for key in ("msgctxt", "msgid_plural", "msgid", "msgstr[0]", "msgstr"):
            if line.startswith(key + " "):
                field = key
                current[field] = line[len(key) + 1 :].strip('"')
                break
        else:
            if field and line.startswith('"'):
                current[field] += line.strip('"')
    return entries


def test_every_message_has_a_chinese_translation():
    entries = _entries((LOCALE / "zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8"))
    assert len(entries) > 200
    missing = [e["msgid"] for e in entries if not (e.get("msgstr") or e.get("msgstr[0]"))]
    fuzzy = [e["msgid"] for e in entries if e.get("fuzzy")]
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
