"""The `PrincipalDep` request dependency: the API key from a header or `api_key` (else a
read's session cookie), resolved."""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery

from geoapi.auth import sessions
from geoapi.auth.cache import KeyCache
from geoapi.auth.keys import KEY_PREFIX
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
    """Anonymous without a key or session (no database work); 401 for an unknown or revoked
    key, or an ended session. A session cookie counts for reads only (`auth.sessions`).

    Resolved keys are remembered for `key_cache_seconds`: most requests make no lookup.
    """
    key = header_key or query_key
    token = None if key else sessions.token_of(request)
    credential = key or token
    if not credential:
        _refuse_misplaced_key(request)
        return ANONYMOUS
    cache: KeyCache = request.app.state.key_cache
    principal = cache.get(credential)
    if principal is not None:
        return principal
    resolve = principal_for_key if key else sessions.principal_for_token
    principal = await read(lambda connection: resolve(connection, credential))
    if principal is None:
        raise Unauthorized(
            "the API key is unknown or revoked"
            if key
            else "the session has ended: open the map again with your key"
        )
    cache.put(credential, principal)
    return principal


# Where clients put keys that this service does not read there (GDAL_HTTP_HEADERS replaced by
# the OAPIF driver's own headers, a Bearer token, another spelling of the parameter).
MISPLACED_HEADERS = ("authorization", "apikey", "api-key", "x-apikey", "x-api-token")
MISPLACED_PARAMETERS = ("apikey", "api-key", "key", "token", "access_token", "x-api-key")


def _refuse_misplaced_key(request: Request) -> None:
    """401 naming the place when a key (`gk_…`) came where it is not read, instead of answering
    as to the public (a client would silently see only the published layers)."""
    headers, parameters = request.headers, request.query_params
    places = [f"the {n} header" for n in MISPLACED_HEADERS if KEY_PREFIX in headers.get(n, "")]
    places += [
        f"the {n} query parameter"
        for n in MISPLACED_PARAMETERS
        if parameters.get(n, "").startswith(KEY_PREFIX)
    ]
    if places:
        raise Unauthorized(
            f"a credential came in {places[0]}, where it is not read: send the API key as the "
            "X-API-Key header (GDAL: a GDAL_HTTP_HEADER_FILE holding 'X-API-Key: …'; QGIS: an "
            "API-header authentication) or as the api_key query parameter"
        )


PrincipalDep = Annotated[Principal, Depends(get_principal)]
