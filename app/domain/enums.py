"""The fixed vocabularies of the domain: site and record states, event kinds, roles, token scopes, audit actions.

Plain string enums, stored as VARCHAR with a CHECK constraint (see app.store.models), so the schemas and the
domain can name them without importing the database layer.
"""

from __future__ import annotations

import enum


class SiteStatus(enum.StrEnum):
    planned = "planned"
    under_construction = "under_construction"
    operating = "operating"
    retired = "retired"


class RecordStatus(enum.StrEnum):
    draft = "draft"
    published = "published"


class EventKind(enum.StrEnum):
    halving = "halving"
    weather = "weather"
    curtailment = "curtailment"
    expansion = "expansion"
    acquisition = "acquisition"
    other = "other"


class UserRole(enum.StrEnum):
    editor = "editor"
    admin = "admin"


class TokenScope(enum.StrEnum):
    read = "read"
    write = "write"


class AuditAction(enum.StrEnum):
    create = "create"
    update = "update"
    publish = "publish"
    unpublish = "unpublish"
    delete = "delete"
