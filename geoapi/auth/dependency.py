"""The `PrincipalDep` request dependency: the API key from a header or `api_key`, resolved."""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery

from geoapi.auth.cache import KeyCache
from geoapi.auth.lookup import principal_for_key
from geoapi.auth.principal import ANONYMOUS, Principal
from geoapi.db.engine import ReaderDep
from geoapi.errors import Unauthorized

key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Your API key (`geoapi users add`)"
)
key_query = APIKeyQuery(
    name="api_key",
    auto_error=False,
    description="The API key as a query parameter, for tile clients and Open311 apps",
)


async def get_principal(
    request: Request,
    read: ReaderDep,
    header_key: Annotated[str | None, Security(key_header)] = None,
    query_key: Annotated[str | None, Security(key_query)] = None,
) -> Principal:
    """Anonymous without a key (no database work); 401 for an unknown or revoked key.

    Resolved keys are remembered for `key_cache_seconds`: most requests make no lookup.
    """
    key = header_key or query_key
    if not key:
        return ANONYMOUS
    cache: KeyCache = request.app.state.key_cache
    principal = cache.get(key)
    if principal is not None:
        return principal
    principal = await read(lambda connection: principal_for_key(connection, key))
    if principal is None:
        raise Unauthorized("the API key is unknown or revoked")
    cache.put(key, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
