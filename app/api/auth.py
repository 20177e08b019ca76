"""Bearer-token authentication for the API: `Authorization: Bearer <token>`.

No header: anonymous (public reads). A header with an unknown, revoked or expired token, or not a bearer
token at all: 401 whatever the route, so a client learns at once that its credentials are wrong.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.domain.actors import Actor
from app.http.deps import SessionDep
from app.http.problems import ApiProblem
from app.store.models import ApiToken, Company, TokenScope
from app.store.queries import tokens as token_queries

# auto_error=False: the missing-header case is ours to answer (a problem document, not FastAPI's JSON).
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    description="An API token from the staff pages or `minedash create-token`",
)

_MESSAGES = {
    "unknown": "The token is not known.",
    "revoked": "The token was revoked.",
    "expired": "The token has expired.",
}


def _unauthorized(detail: str, error: str = "invalid_token") -> ApiProblem:
    return ApiProblem(401, detail, headers={"WWW-Authenticate": f'Bearer error="{error}"'})


def optional_token(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiToken | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise _unauthorized("Send the token as `Authorization: Bearer <token>`.", "invalid_request")
    secret = credentials.credentials.strip()
    if len(secret) > 200:
        raise _unauthorized(_MESSAGES["unknown"])
    token, state = token_queries.find_active_token(secret, session=session)
    if token is None or state != "active":
        raise _unauthorized(_MESSAGES[state])
    token_queries.touch_token(token, session=session)
    return token


OptionalToken = Annotated[ApiToken | None, Depends(optional_token)]


def write_token(token: OptionalToken) -> ApiToken:
    if token is None:
        raise ApiProblem(
            401, "Writing needs a token: `Authorization: Bearer <token>`.", headers={"WWW-Authenticate": "Bearer"}
        )
    if token.scope != TokenScope.write:
        raise ApiProblem(403, "This token has the read scope; writing needs a write token.")
    return token


WriteToken = Annotated[ApiToken, Depends(write_token)]


def check_company(token: ApiToken, company: Company) -> None:
    """A token limited to one company may not touch another's figures."""
    if token.company_id is not None and token.company_id != company.id:
        raise ApiProblem(403, f"This token may not change the figures of {company.slug!r}.")


def may_see_drafts(token: ApiToken | None, company: Company) -> bool:
    """Only a token that may write the month sees it before it is published."""
    return (
        token is not None
        and token.scope == TokenScope.write
        and (token.company_id is None or token.company_id == company.id)
    )


def actor_for_token(token: ApiToken) -> Actor:
    return Actor.token(token.id, token.name)
