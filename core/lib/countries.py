"""Country codes from pycountry: the one list every app validates against."""

from functools import cache

import pycountry


@cache
def country_names() -> dict[str, str]:
    return {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}


def is_country_code(code: str) -> bool:
    return code.upper() in country_names()


def country_name(code: str) -> str:
    return country_names().get(code.upper(), code)
