"""How many accounts each upcoming notice reaches, per language and country: the plan's
audience line (`privacy-policy (eea): e-mail to 1,204 accounts (fr 530, …)`).

Kept apart from the letters (`letters.py`) so that `plan` counts without loading the
mail, the templates or the store: the counts come from `OnRecord.audience_groups`
(cached under the database's stamp), and Jinja is loaded only for a language whose
e-mail words come from templates rather than from the package's catalogs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..audience import Reach, count_audience, everyone, offered_languages, reach_of
from ..config import Config
from ..regions import Audience
from ..state import PolicyState
from ..versions import Version

AudienceKey = tuple[str, str | None, dt.date]  # (policy, variant, effective)


def version_languages(config: Config, version: Version) -> tuple[str, ...]:
    """The languages the notice of `version` can be written in: the source, then each
    translation whose e-mail words exist (what `Letter` offers, for the plan)."""
    translated = [t.language for t in version.translations]
    if not translated:
        return (config.source_language,)
    from ..i18n import available_languages, base_language

    known = {base_language(c) for c in available_languages()}
    usable = [lang for lang in translated if base_language(lang) in known]
    rest = [lang for lang in translated if lang not in usable]
    if rest:  # e-mail words from templates of the repository (`email/<lang>/`)
        from ..mail.languages import has_email_strings
        from ..templating import make_environment

        env = make_environment(config.root)
        usable += [lang for lang in rest if has_email_strings(env, lang)]
    return offered_languages(translated, config.source_language, usable)


def state_reach(state: PolicyState) -> Reach:
    """Who a notice of this timeline goes to (`audience.reach_of` its variant among the
    policy's variants; a state built without variants: everybody)."""
    if state.variant is None:
        return everyone(state.policy)
    return reach_of(state.variant, state.variants)


def plan_audiences(config: Config, groups: Sequence[tuple[str, str, int]],
                   states: Sequence[PolicyState]
                   ) -> dict[AudienceKey, tuple[Audience, Reach]]:
    """(policy, variant, effective) -> who the notice of each upcoming material version
    reaches, per language and country, from `groups` (active accounts counted by
    (country, locale): `OnRecord.audience_groups`)."""
    out: dict[AudienceKey, tuple[Audience, Reach]] = {}
    for state in states:
        upcoming = state.upcoming
        if upcoming is None or not upcoming.material:
            continue
        version, reach = upcoming.version, state_reach(state)
        out[(version.policy, version.variant, version.effective)] = (
            count_audience(groups, reach, version_languages(config, version),
                           config.source_language), reach)
    return out
