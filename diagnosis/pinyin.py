"""Search keys of a Chinese name for the customer picker: what an engineer types instead of the characters.

Pure functions (no models), so the data migration that fills the keys of existing customers uses them too.
"""

import re
import unicodedata

# Letters and digits only: "TSA 公司" and "TSA公司" give the same keys, and so do full-width forms.
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)

NAME_MAX, INITIALS_MAX, PINYIN_MAX = 200, 200, 1000


def normalise(text: str) -> str:
    """What a typed query and a stored key are compared as: lower case, no spaces or punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text or "").casefold())


def search_keys(name: str) -> tuple[str, str, str]:
    """(name, initials, pinyin) for ``name``: 北京银行 → ("北京银行", "bjyh", "beijingyinhang").

    Latin letters and digits stay as they are (TSA公司 → "tsags", "tsagongsi"); a character pypinyin
    does not know is kept as itself.
    """
    # Imported here: pypinyin's dictionaries take ~55 MiB, and only saving a customer needs them (a
    # server worker that never does stays without them).
    from pypinyin import Style, lazy_pinyin

    name = unicodedata.normalize("NFKC", name or "")
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default"))
    full = "".join(lazy_pinyin(name, style=Style.NORMAL, errors="default"))
    return (
        normalise(name)[:NAME_MAX],
        normalise(initials)[:INITIALS_MAX],
        normalise(full)[:PINYIN_MAX],
    )
