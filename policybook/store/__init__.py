"""policybook's database (shell): accounts, notices, the delivery ledger, provider events
and the audit log, on SQLite (the default, a file under `.policybook/`) or PostgreSQL.

The scheduler and the commands meet here; see `notices.create_notice` and
`workflows.notices.send_due` for the two calls the scheduler makes.
"""

from . import proof
from .db import Store, create_engine
from .notices import (
    Notice,
    NoticeReason,
    NoticeSpec,
    NoticeState,
    audit,
    cancel_notice,
    create_notice,
    find_notice,
    get_notice,
    list_notices,
    notice_links,
)
from .schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Notice", "NoticeReason", "NoticeSpec", "NoticeState", "Store",
           "audit", "cancel_notice", "create_engine", "create_notice", "find_notice",
           "get_notice", "list_notices", "notice_links", "proof"]
