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

from .cache import digest
from .config import Config
from .document import Document
from .gitrepo import head_sha
from .history import HistoryCache
from .workflows.assessing import assess_documents, use_settings
from .workflows.planning import OnRecord
from .workflows.sources import PreviewHistory
from .workflows.state import StateBuilder

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.routing import BaseRoute

    from .site.build import BuildReport
    from .site.changes import Comparison
    from .store import Store

Clock = Callable[[], dt.datetime]


def shared_compare(old: Document | None, new: Document) -> Comparison:
    """A redline through the process-wide cache of assessments that the state, `plan`
    and the scheduler use too: in `policybook run` each pair is judged once."""
    from .site.changes import compare_documents, comparison_of  # the differ loads on use

    if old is None:
        return compare_documents(None, new)
    return comparison_of(old, new, assess_documents(old, new))


@dataclass
class Wiring:
    config: Config
    on_record: OnRecord  # the store, opened when first needed (see `OnRecord`)
    builder: StateBuilder
    ref: str | None = None

    @property
    def store(self) -> Store | None:
        return self.on_record.store

    @classmethod
    def open(cls, config: Config, now: dt.datetime, *, store: Store | None = None,
             ref: str | None = None, create_store: bool = False) -> Wiring:
        """Everything for `config`. Without `create_store`, a database that does not exist
        is not created (reading a plan or a page never creates one): nothing is on record."""
        head_sha(config.root, ref)  # fail now, with a clear message, if not a repository
        use_settings(config.materiality)  # every verdict of this process follows them
        if store is None and create_store:
            from .store import Store

            on_record = OnRecord(config, now, Store.open(config.db_url, now))
            on_record.own = True
        else:
            # Read-only commands open no store until a read misses the cache.
            on_record = OnRecord(config, now, store)
        return cls(config, on_record, StateBuilder(config, on_record, ref=ref), ref)

    def close(self) -> None:
        self.on_record.close()

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
            source = StateBuilder(self.config, self.on_record, history=PreviewHistory(
                base, self.config.root, self.config.content_dir, self.config.zone))
            committed = self.builder
        # SendGrid's event webhook is signed (refused with 403 while no key is set); its
        # timestamp window follows the real clock, whatever the site's.
        extra: list[BaseRoute] = [webhook_route(SendgridWebhook(self.config, store=self.store))] \
            if webhooks and not preview else []
        if not preview:  # (the editor's draft server has no dashboard)
            extra += self.admin_routes(clock)
        return create_app(self.config, source, clock=clock, preview=preview,
                          extra_routes=extra, compare=shared_compare, committed=committed,
                          refresh_seconds=refresh_seconds)

    def admin_routes(self, clock: Clock) -> list[BaseRoute]:
        """/admin/: the dashboard for legal, or, without POLICYBOOK_ADMIN_TOKEN, a 404
        that says how to turn it on (never in the static build)."""
        from starlette.responses import RedirectResponse
        from starlette.routing import Mount, Route

        from .site.admin import Guard, admin_off, create_admin_app
        from .workflows.admin import AdminBackend

        token = self.config.admin_token.value
        if token:
            guard = Guard(token, self.config.admin_session_hours,
                          secure=self.config.base_url.startswith("https://"))
            app = create_admin_app(AdminBackend(self.config, self.store, self.builder), guard,
                                   clock, root=self.config.root, base_url=self.config.base_url)
        else:
            app = admin_off()

        async def to_slash(request: object) -> RedirectResponse:
            return RedirectResponse("/admin/", 308)

        return [Route("/admin", to_slash), Mount("/admin", app=app)]

    def build(self, out: Path, now: dt.datetime) -> BuildReport:
        """The static site as of `now` (each of the `[[sites]]` in a folder of its own)."""
        from .site.build import build_sites

        # The history's head and the notices on record: with the state at `now`, all
        # that the pages read from git and the store (a warm build re-renders nothing).
        history, records = self.builder.refresh()
        inputs = digest("build-inputs", repr((history.head, self.ref, records)))
        return build_sites(self.config, self.builder, out, now, compare=shared_compare,
                           inputs=inputs)
