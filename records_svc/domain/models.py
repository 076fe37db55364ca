"""SQLAlchemy models of the records service (the relational schema)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Computed,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

from records_svc.domain import dupkeys, field_declarations
from search_svc.normalize import digits, sort_text

#: the department of a postal code (its first two characters), as the lists filter on it
DEPARTMENT = "substr(postal_code, 1, 2)"
#: a word's first three letters (``listing.HEAD``)
WORD_HEAD = "substr(word, 1, 3)"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: grows when the tokens issued so far must stop working (sign-out, password, rights…)
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: the name owner pickers show (the username when unset)
    display_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rights: Mapped[list[UserRight]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRight.right"
    )

    @property
    def right_names(self) -> list[str]:
        return [r.right for r in self.rights]


class UserRight(Base):
    __tablename__ = "user_rights"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    right: Mapped[str] = mapped_column(String(64), primary_key=True)


#: the standard fields whose column carries an index (look-ups by number)
_INDEXED = {"siren", "siret"}


def _declared_columns(declared: field_declarations.Declarations) -> dict[str, Any]:
    """A column per declared standard field (``Account``'s or ``Contact``'s class body)."""
    return {
        f.column: mapped_column(
            String(f.column_length), nullable=not f.required, index=f.column in _INDEXED or None
        )
        for f in declared.model_columns()
    }


class Account(Base):
    """A prospect or a client. ``name`` is the trade name (*nom d'appel*)."""

    __tablename__ = "accounts"
    __table_args__ = (
        Index("ix_accounts_kind_id", "kind", "id"),
        # the lists' sort orders, ties broken by id (keyset pagination)
        Index("ix_accounts_sort_name", "sort_name", "id"),
        Index("ix_accounts_sort_city", "sort_city", "id"),
        Index("ix_accounts_updated_at", "updated_at", "id"),
        Index("ix_accounts_kind_sort_name", "kind", "sort_name", "id"),
        Index("ix_accounts_owner_sort_name", "owner_id", "sort_name", "id"),
        # the department (postal_code=33) and the city filters, in name order: one range
        Index("ix_accounts_department_sort_name", "department", "sort_name", "id"),
        Index("ix_accounts_city_sort_name", "sort_city", "sort_name", "id"),
        # a prefix (LIKE '33%') uses it on PostgreSQL whatever the database's collation
        Index(
            "ix_accounts_postal_code",
            "postal_code",
            postgresql_ops={"postal_code": "varchar_pattern_ops"},
        ),
        # likely duplicates are looked up by these (domain/duplicates.py): a name alone
        # (the API), or the newest of a name in a postal code (an import's batch, by pairs)
        Index("ix_accounts_name_key_postal_code", "name_key", "postal_code", "id"),
        *(Index(f"ix_accounts_{c}", c) for c in ("email_domain", "web_domain", "phone")),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The standard fields' columns: their width and nullability come from their
    # declaration (domain/field_declarations.py); the annotations type them for readers.
    name: Mapped[str]
    legal_name: Mapped[str | None]
    siren: Mapped[str | None]
    siret: Mapped[str | None]
    ape_code: Mapped[str | None]
    address_line1: Mapped[str | None]
    address_line2: Mapped[str | None]
    postal_code: Mapped[str | None]
    city: Mapped[str | None]
    country: Mapped[str | None]
    phone: Mapped[str | None]
    email: Mapped[str | None]
    website: Mapped[str | None]
    locals().update(_declared_columns(field_declarations.ACCOUNTS))
    status: Mapped[str | None] = mapped_column(String(16))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: folded forms the lists sort, filter and match on (kept by ``listkeys``)
    sort_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    sort_city: Mapped[str] = mapped_column(String(120), default="", server_default="")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: the postal code's first two characters, computed by the database on every write
    #: (what ``postal_code=33`` asks, in one index range by name); stored on PostgreSQL,
    #: virtual on SQLite (whose ALTER TABLE adds no stored column; its index holds it)
    department: Mapped[str | None] = mapped_column(String(2), Computed(DEPARTMENT, persisted=True))
    #: the keys likely duplicates are found by (``dupkeys``, kept by ``_account_keys``)
    name_key: Mapped[str] = mapped_column(String(200), default="", server_default="")
    email_domain: Mapped[str | None] = mapped_column(String(254))
    web_domain: Mapped[str | None] = mapped_column(String(254))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    #: raised only when the account's search document changes (domain/search_changes.py)
    search_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1, server_default="1"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def address(self) -> dict[str, str | None]:
        """The postal address as the API and templates show it."""
        return {
            f.address_part: getattr(self, f.column)
            for f in field_declarations.ACCOUNTS.fields()
            if f.address_part
        }

    __mapper_args__ = {"version_id_col": version}


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_sort_name", "sort_name", "id"),
        Index("ix_contacts_updated_at", "updated_at", "id"),
        # the same name within an account: a likely duplicate
        Index("ix_contacts_account_sort_name", "account_id", "sort_name"),
        *(Index(f"ix_contacts_{c}", c) for c in ("email_key", "mobile", "direct_line")),
        # "my contacts" by name: one index range
        Index("ix_contacts_owner_sort_name", "owner_id", "sort_name", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # The standard fields' columns: their width and nullability come from their
    # declaration (domain/field_declarations.py); the annotations type them for readers.
    civility: Mapped[str | None]
    first_name: Mapped[str | None]
    last_name: Mapped[str]
    job_title: Mapped[str | None]
    direct_line: Mapped[str | None]
    mobile: Mapped[str | None]
    email: Mapped[str | None]
    locals().update(_declared_columns(field_declarations.CONTACTS))
    #: the e-mail address lowercased: a likely duplicate whatever its case
    email_key: Mapped[str | None] = mapped_column(String(254))
    #: GDPR consent to be contacted: unknown, granted or refused; when and how it was given
    consent_status: Mapped[str] = mapped_column(
        String(16), default="unknown", server_default="unknown"
    )
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    consent_source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: the person objected to being contacted (phone and e-mail links are disabled)
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sort_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: the owner of the contact's account, for "my contacts"; written by the database only
    #: (triggers of migration 0016_list_speed) on every insert, every move to another
    #: account and every change of the account's owner, whatever the write path
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"),
        nullable=True,
        server_default=FetchedValue(),
        server_onupdate=FetchedValue(),
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    #: raised only when the contact's search document changes (domain/search_changes.py)
    search_version: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1, server_default="1"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    account: Mapped[Account] = relationship(back_populates="contacts")

    # owner_id is the database's: loaded when read, never taken from a RETURNING that
    # ran before the triggers that set it
    __mapper_args__ = {"version_id_col": version, "eager_defaults": False}


class AccountWord(Base):
    """One word of an account's ``search_text``: what the lists' ``q`` filter looks up
    (a B-tree prefix range instead of a scan of every row's text).

    Written by the database (triggers of migration 0016_list_speed) on every insert and
    every change of ``search_text``, whatever the write path; gone with the account.
    """

    __tablename__ = "account_words"
    __table_args__ = (
        # a prefix (LIKE 'boul%') uses it on PostgreSQL whatever the database's collation
        # a word's rows in name order (one range per word), and a prefix's (LIKE 'boul%')
        Index(
            "ix_account_words_word_sort_name",
            "word",
            "sort_name",
            "account_id",
            postgresql_ops={"word": "varchar_pattern_ops"},
        ),
        Index("ix_account_words_head_sort_name", "head", "sort_name", "account_id"),
    )

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    word: Mapped[str] = mapped_column(String, primary_key=True)
    #: the account's ``sort_name`` (kept by the same triggers, migration 0017_list_sort_keys)
    sort_name: Mapped[str] = mapped_column(String(200), server_default="")
    #: the word's first letters (``listing.HEAD``), computed by the database: a short
    #: prefix that begins too many distinct words reads its rows in name order by it
    head: Mapped[str] = mapped_column(String(3), Computed(WORD_HEAD, persisted=True))


class ContactWord(Base):
    """One word of a contact's ``search_text`` (see :class:`AccountWord`)."""

    __tablename__ = "contact_words"
    __table_args__ = (
        Index(
            "ix_contact_words_word_sort_name",
            "word",
            "sort_name",
            "contact_id",
            postgresql_ops={"word": "varchar_pattern_ops"},
        ),
        Index("ix_contact_words_head_sort_name", "head", "sort_name", "contact_id"),
    )

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    word: Mapped[str] = mapped_column(String, primary_key=True)
    #: the contact's ``sort_name``
    sort_name: Mapped[str] = mapped_column(String(200), server_default="")
    head: Mapped[str] = mapped_column(String(3), Computed(WORD_HEAD, persisted=True))


class FieldDefinition(Base):
    """One field of the field library: what a form shows, in which tab, required or not."""

    __tablename__ = "field_definitions"
    __table_args__ = (
        UniqueConstraint("entity", "key", name="uq_field_definitions_entity_key"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(16))
    tab: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    standard: Mapped[bool] = mapped_column(Boolean, default=False)
    choices: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    max_length: Mapped[int | None] = mapped_column(Integer, nullable=True)


class IndexEvent(Base):
    """Outbox row: a record changed in a way search shows; written in the same transaction."""

    __tablename__ = "index_events"
    __table_args__ = (
        Index("ix_index_events_pending", "processed_at", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: a sweep or a worker holds the event until then (not sent again meanwhile)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Job(Base):
    """A long task the portal follows (an edition, a slow SIRENE look-up): ``/jobs/{id}``."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    file_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(127), nullable=True)
    target_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    target_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Document(Base):
    """A file kept on a contact or an account; stored under a generated key, never its name."""

    __tablename__ = "documents"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True, nullable=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True, nullable=True
    )
    name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(127))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    account: Mapped[Account | None] = relationship()


class EditionTemplate(Base):
    """A template to print one kind of record: HTML (Jinja2 → PDF) or a DOCX (docxtpl)."""

    __tablename__ = "edition_templates"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    docx: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    docx_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    __mapper_args__ = {"version_id_col": version}


# --- the lists' folded keys ------------------------------------------------------------
# Sorting, the city filter and ``q`` work on folded text (search_svc.normalize: case and
# accents fold), kept here on every insert and update so that no write path forgets them.


def account_list_keys(account: Account) -> tuple[str, str, str]:
    """(sort_name, sort_city, search_text) of an account."""
    numbers = " ".join(d for d in (digits(account.siren), digits(account.siret)) if d)
    words = (account.name, account.legal_name, account.city, account.postal_code, numbers)
    return (
        sort_text(account.name),
        sort_text(account.city),
        " ".join(sort_text(w) for w in words if w),
    )


def full_name(first_name: str | None, last_name: str | None) -> str:
    """A person's name as written: "Jean Durand" (either part may be missing)."""
    return " ".join(p for p in (first_name, last_name) if p)


def contact_list_keys(contact: Contact) -> tuple[str, str]:
    """(sort_name, search_text) of a contact: last name first."""
    name = sort_text(f"{contact.last_name or ''} {contact.first_name or ''}")
    words = (contact.first_name, contact.last_name, contact.email, contact.job_title)
    return name, " ".join(sort_text(w) for w in words if w)


@event.listens_for(Account, "before_insert")
@event.listens_for(Account, "before_update")
def _account_keys(_mapper: Mapper[Account], _connection: Any, account: Account) -> None:
    account.sort_name, account.sort_city, account.search_text = account_list_keys(account)
    account.name_key = dupkeys.name_key(account.name)
    account.email_domain = dupkeys.email_domain(account.email)
    account.web_domain = dupkeys.web_domain(account.website)


@event.listens_for(Contact, "before_insert")
@event.listens_for(Contact, "before_update")
def _contact_keys(_mapper: Mapper[Contact], _connection: Any, contact: Contact) -> None:
    contact.sort_name, contact.search_text = contact_list_keys(contact)
    contact.email_key = dupkeys.email_key(contact.email)
