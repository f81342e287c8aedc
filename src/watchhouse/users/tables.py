"""Tables owned by the users capability: accounts, web sessions and login throttling."""

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text, UniqueConstraint

from watchhouse.store import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("role", String(40), nullable=False),
    Column("clearance", String(20), nullable=False),  # OFFICIAL | SECRET | TOP-SECRET
    Column("caveats", Text, nullable=False, default="[]"),  # JSON list of need-to-know groups held
    Column("password_hash", String(200)),  # argon2id; null for accounts that sign in through OIDC
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    # Bumped on any change of role, clearance, caveats, password or status: outstanding tokens
    # and sessions carry the version they were issued under and stop working.
    Column("credentials_version", Integer, nullable=False, default=1),
    Column("oidc_issuer", String(300)),
    Column("oidc_subject", String(300)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
    UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_identity"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),  # sha256 of the cookie value: a stolen table is no key
    Column("user_id", Integer, nullable=False, index=True),
    Column("credentials_version", Integer, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("client", String(100)),
)
