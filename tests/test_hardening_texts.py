"""Hardening, texts: every text setting has a length limit naming key and limit, on-screen texts
fit the screen, caption templates take only their plain fields (no format mini-language)."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from exhibits.city.settings import TEXT_LIMITS as CITY_LIMITS
from exhibits.numbers.settings import TEXT_LIMITS as NUMBERS_LIMITS
from runtime.config import KioskConfig, parse_config
from runtime.settings import MAX_TEXT, ConfigError, fill_template


# --- item 4: text limits and caption templates -----------------------------------------------
def string_fields(cls: type, prefix: str = ""):
    """Every string setting (and string-tuple setting) of a config section, recursively."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if "doc" not in f.metadata:
            continue
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            yield from string_fields(tp, f"{prefix}{f.name}.")
        elif typing.get_origin(tp) is tuple and dataclasses.is_dataclass(typing.get_args(tp)[0]):
            yield from string_fields(typing.get_args(tp)[0], f"{prefix}{f.name}[0].")
        elif tp is str or (typing.get_origin(tp) is tuple and typing.get_args(tp)[0] is str):
            items = 0 if tp is str else max(1, f.metadata.get("min_items") or 0)
            yield f"{prefix}{f.name}", items, f.metadata.get("max_len") or MAX_TEXT


def all_string_settings():
    from exhibits import REGISTRY

    yield from string_fields(KioskConfig)
    for name, spec in REGISTRY.items():
        yield from string_fields(spec.config_cls, f"exhibits.{name}.")


def nest(key: str, value) -> dict:
    data: dict = {"schema_version": 1}
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        if part.endswith("[0]"):
            node[part[:-3]] = [{}]
            node = node[part[:-3]][0]
        else:
            node = node.setdefault(part, {})
    node[parts[-1]] = value
    return data


@pytest.mark.parametrize("key, items, limit", list(all_string_settings()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_text_setting_has_a_length_limit_naming_key_and_limit(key, items, limit):
    long = "x" * (limit + 1)
    with pytest.raises(ConfigError) as err:
        parse_config(nest(key, [long] * items if items else long))
    wanted = f"{key}[0]" if items else key
    msgs = {p.path: p.message for p in err.value.problems}
    assert msgs.get(wanted) == f"must be at most {limit} characters, got {limit + 1}", msgs


def test_on_screen_texts_have_limits_that_fit_the_screen():
    for limits in (NUMBERS_LIMITS, CITY_LIMITS):
        assert limits and all(0 < n <= 300 for n in limits.values())
    # At the limit a text is accepted (digits for text_digits, plain text for the captions).
    data = nest("exhibits.numbers.info_en", "x" * NUMBERS_LIMITS["info_en"])
    data["exhibits"]["numbers"]["text_digits"] = "1" * NUMBERS_LIMITS["text_digits"]
    data["exhibits"]["city"] = {"title_en": "t" * CITY_LIMITS["title_en"]}
    parse_config(data)


@pytest.mark.parametrize("exhibit, key, template, words", [
    ("city", "progress_en", "{found:>50000000} of {total}", "may not use a format spec"),
    ("city", "progress_ko", "{found!r} / {total}", "may not use a conversion"),
    ("city", "progress_en", "{found.__class__} / {total}", "attribute or index access"),
    ("city", "progress_en", "{found[0]} / {total}", "attribute or index access"),
    ("city", "progress_en", "{} / {total}", "empty placeholder"),
    ("city", "progress_en", "{visitors} / {total}", "unknown placeholder {visitors}"),
    ("numbers", "grew_en", "digit {n:09999}", "may not use a format spec"),
    ("numbers", "today_ko", "{count!s}", "may not use a conversion"),
    ("numbers", "hint_en", "{name.upper}", "attribute or index access"),
    ("numbers", "info_en", "a {brace", "not a valid template"),
])
def test_caption_templates_take_only_their_plain_fields(exhibit, key, template, words):
    with pytest.raises(ConfigError) as err:
        parse_config(nest(f"exhibits.{exhibit}.{key}", template))
    (problem,) = err.value.problems
    assert problem.path == f"exhibits.{exhibit}.{key}" and words in problem.message


def test_captions_are_filled_without_the_format_mini_language():
    assert fill_template("{found} / {total} places", found=3, total=7) == "3 / 7 places"
    assert fill_template("{{literal}} {n}", n=5) == "{literal} 5"
    # A template that bypassed validation (settings built in code) stays as written.
    assert fill_template("{found:>50000000}", found=3) == "{found:>50000000}"
    assert fill_template("{n.__class__}", n=3) == "{n.__class__}"
    assert fill_template("{oops", n=3) == "{oops"
