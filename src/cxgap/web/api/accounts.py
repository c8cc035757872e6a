"""``/api/v1/me``, ``/users``, ``/api-keys`` and ``/audit``: accounts, keys, the audit log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from cxgap.services import accounts
from cxgap.services.accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PERMISSIONS,
    ApiKey,
    User,
    allowed,
)
from cxgap.web.api.common import (
    AuditRead,
    DashboardView,
    IsoDateTime,
    Page,
    Paging,
    RowId,
    Timestamp,
    UserIdFilter,
    UsersManage,
)
from cxgap.web.auth import confirm_password, signed_in_with_session
from cxgap.web.deps import get_engine

router = APIRouter(tags=["accounts"])

RoleName = Literal["admin", "analyst", "manager", "agent", "viewer"]
LanguageName = Literal["en", "zh", "fa"]


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str | None
    role: str
    language: str
    active: bool
    created_at: Timestamp | None
    last_login_at: Timestamp | None


class Me(UserPublic):
    permissions: list[str]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    role: RoleName
    name: str | None = Field(default=None, max_length=200)
    language: LanguageName = "en"


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    role: RoleName | None = None
    active: bool | None = None


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    password: str | None = Field(
        default=None,
        max_length=MAX_PASSWORD_LENGTH,
        description="Your current password: required when signed in with a browser session "
        "(a copied session cookie cannot create keys); not needed with an API key.",
    )


class ApiKeyPublic(BaseModel):
    id: int
    name: str
    prefix: str
    user: str
    created_at: Timestamp | None
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class ApiKeyCreated(BaseModel):
    """The new key: ``key`` is shown this once and cannot be recovered."""

    id: int
    name: str
    key: str


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: Timestamp
    actor: str
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, Any] | None


def _key(row: ApiKey, email: str) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        user=email,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _user(user: User) -> UserPublic:
    return UserPublic.model_validate(user)


@router.get("/me", response_model=Me, summary="The signed-in user and what they may do")
def me(user: DashboardView) -> Me:
    return Me(
        **_user(user).model_dump(),
        permissions=sorted(p for p in PERMISSIONS if allowed(user.role, p)),
    )


@router.get("/me/api-keys", response_model=Page[ApiKeyPublic], summary="My API keys")
def my_keys(request: Request, user: DashboardView, paging: Paging) -> Page[ApiKeyPublic]:
    rows, total = accounts.list_api_keys(
        get_engine(request), user_id=user.id, limit=paging.limit, offset=paging.offset
    )
    return Page(items=[_key(k, e) for k, e in rows], total=total, **paging.model_dump())


async def _new_key(request: Request, user: User, owner: int, body: ApiKeyCreate) -> ApiKeyCreated:
    """A key for ``owner``; from a browser session only with the current password."""
    from_session = signed_in_with_session(request)
    if from_session:
        await confirm_password(request, user, body.password)
    new = await run_in_threadpool(
        accounts.new_api_key,
        get_engine(request),
        owner,
        body.name,
        actor=user,
        from_session=from_session and owner == user.id,
    )
    return ApiKeyCreated(id=new.id, name=new.name, key=new.key)


@router.post("/me/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_my_key(request: Request, user: DashboardView, body: ApiKeyCreate) -> ApiKeyCreated:
    """A new API key for myself; the key is in this answer only. Signed in with a browser
    session, the body must hold the current ``password``; a later password change revokes
    such a key."""
    return await _new_key(request, user, user.id, body)


@router.delete("/me/api-keys/{key_id}", status_code=204, summary="Revoke one of my keys")
def revoke_my_key(request: Request, user: DashboardView, key_id: RowId) -> None:
    accounts.revoke_key(get_engine(request), key_id, actor=user, owner=user.id)


@router.get("/users", response_model=Page[UserPublic], summary="Accounts")
def list_users(
    request: Request, user: UsersManage, paging: Paging, role: RoleName | None = None
) -> Page[UserPublic]:
    users, total = accounts.list_users(
        get_engine(request), role=role, limit=paging.limit, offset=paging.offset
    )
    return Page(items=[_user(u) for u in users], total=total, **paging.model_dump())


@router.post("/users", status_code=201, response_model=UserPublic, summary="Create an account")
def create_user(request: Request, user: UsersManage, body: UserCreate) -> UserPublic:
    created = accounts.create_account(
        get_engine(request),
        body.email,
        body.password,
        role=body.role,
        name=body.name,
        language=body.language,
        actor=user,
    )
    return _user(created)


@router.get("/users/{user_id}", response_model=UserPublic)
def get_user(request: Request, user: UsersManage, user_id: RowId) -> UserPublic:
    return _user(accounts.user_by_id(get_engine(request), user_id))


@router.patch("/users/{user_id}", response_model=UserPublic, summary="Set role or disable")
def update_user(
    request: Request, user: UsersManage, user_id: RowId, body: UserUpdate
) -> UserPublic:
    changed = accounts.update_account(
        get_engine(request), user_id, actor=user, role=body.role, active=body.active
    )
    return _user(changed)


@router.post("/users/{user_id}/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_key(
    request: Request, user: UsersManage, user_id: RowId, body: ApiKeyCreate
) -> ApiKeyCreated:
    """A new API key for an account; the key is in this answer only. Signed in with a
    browser session, the body must hold the administrator's current ``password``."""
    return await _new_key(request, user, user_id, body)


@router.get("/api-keys", response_model=Page[ApiKeyPublic], summary="Every API key")
def list_keys(
    request: Request,
    user: UsersManage,
    paging: Paging,
    user_id: UserIdFilter = None,
) -> Page[ApiKeyPublic]:
    rows, total = accounts.list_api_keys(
        get_engine(request), user_id=user_id, limit=paging.limit, offset=paging.offset
    )
    return Page(items=[_key(k, e) for k, e in rows], total=total, **paging.model_dump())


@router.delete("/api-keys/{key_id}", status_code=204, summary="Revoke a key")
def revoke_key(request: Request, user: UsersManage, key_id: RowId) -> None:
    accounts.revoke_key(get_engine(request), key_id, actor=user)


@router.get("/audit", response_model=Page[AuditEventPublic], summary="The audit log")
def audit_log(
    request: Request,
    user: AuditRead,
    paging: Paging,
    actor: Annotated[str | None, Query(max_length=254)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    target_type: Annotated[str | None, Query(max_length=40)] = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
) -> Page[AuditEventPublic]:
    events, total = accounts.list_audit(
        get_engine(request),
        actor=actor,
        action=action,
        target_type=target_type,
        since=since,
        until=until,
        limit=paging.limit,
        offset=paging.offset,
    )
    items = [AuditEventPublic.model_validate(e) for e in events]
    return Page(items=items, total=total, **paging.model_dump())
