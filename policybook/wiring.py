"""The one place that builds everything (shell): store, state, site, webhooks, publisher.

A process makes one `Wiring` and every surface reads its `StateBuilder`: the web app,
the static build, the scheduler's tick and its publisher, `plan` and `versions`. So the
git history is read once per branch head for all of them, and they see one state.
The layers (checked by import-linter, see pyproject.toml): the pure core; git history,
store and mail; workflows; the site and the scheduler; this wiring; the CLI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from .document import Document
from .history import HistoryCache, head_sha
from .site.changes import Comparison, compare_documents, comparison_of
from .store import Store
from .workflows.assessing import assess_texts
from .workflows.planning import optional_store
from .workflows.sources import PreviewHistory
from .workflows.state import StateBuilder

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from .site.build import BuildReport

Clock = Callable[[], dt.datetime]


def shared_compare(old: Document | None, new: Document) -> Comparison:
    """A redline through the process-wide cache of assessments that the state, `plan`
    and the scheduler use too: in `policybook run` each pair is judged once."""
    if old is None:
        return compare_documents(None, new)
    return comparison_of(old, new, assess_texts(old.source, old.path, new.source, new.path))


@dataclass
class Wiring:
    config: Config
    store: Store | None
    builder: StateBuilder
    ref: str | None = None
    _own_store: bool = False

    @classmethod
    def open(cls, config: Config, now: dt.datetime, *, store: Store | None = None,
             ref: str | None = None, create_store: bool = False) -> Wiring:
        """Everything for `config`. Without `create_store`, a database that does not exist
        is not created (reading a plan or a page never creates one): nothing is on record."""
        head_sha(config.root, ref)  # fail now, with a clear message, if not a repository
        own = store is None
        if store is None:
            store = Store.open(config.db_url, now) if create_store \
                else optional_store(config, now)
        return cls(config, store, StateBuilder(config, store, ref=ref), ref, own)

    def close(self) -> None:
        if self._own_store and self.store is not None:
            self.store.close()

    def __enter__(self) -> Wiring:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def site_app(self, clock: Clock, *, preview: bool = False, refresh_seconds: float = 2.0,
                 webhooks: bool = True) -> Starlette:
        """The live site over this wiring's state (a preview adds the working tree's
        drafts), with SendGrid's event webhook mounted (not on a preview: the editor's
        draft server is no place for delivery events)."""
        from .site.app import create_app
        from .site.webhooks import webhook_route
        from .workflows.webhooks import SendgridWebhook

        source: StateBuilder = self.builder
        committed = None
        if preview:
            base = HistoryCache(self.config.root, self.ref, self.config.content_dir,
                                self.config.zone)
            source = StateBuilder(self.config, self.store, history=PreviewHistory(
                base, self.config.root, self.config.content_dir, self.config.zone))
            committed = self.builder
        # SendGrid's event webhook is signed (refused with 403 while no key is set); its
        # timestamp window follows the real clock, whatever the site's.
        extra = [webhook_route(SendgridWebhook(self.config, store=self.store))] \
            if webhooks and not preview else []
        return create_app(self.config, source, clock=clock, preview=preview,
                          extra_routes=extra, compare=shared_compare, committed=committed,
                          refresh_seconds=refresh_seconds)

    def build(self, out: Path, now: dt.datetime) -> BuildReport:
        """The static site as of `now`."""
        from .site.build import build_site

        return build_site(self.config, self.builder, out, now, compare=shared_compare)
