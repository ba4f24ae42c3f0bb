"""Each API operation described once, served by both the sync and the async client.

A vendor's shared base class describes an operation as a method that checks its arguments and
returns what to send: a `Call` (one request and how to parse its answer), a `Login` (the
vendor's login exchange), `Done` (nothing to send this time), or, for a list, a `Pager` (how
to fetch each page). Decorated with
`operation` or `paginated`, that one method becomes, on `Client` (a `SyncAPIClient`), a method
returning the parsed result (or an `Iterator`), and on `AsyncClient` (an `AsyncAPIClient`) one
returning an awaitable (or an `AsyncIterator`); mypy sees both signatures exactly.

    class _AccrualsBase(BaseClient):
        @operation
        def get_accrual(self, accrual_id: str) -> Call[Accrual]:
            '''One accrual.'''
            return Call("GET", accrual_path(accrual_id), parse=self.expect(AccrualEnvelope))

    class Client(_AccrualsBase, SyncAPIClient): ...       # client.get_accrual(id) -> Accrual
    class AsyncClient(_AccrualsBase, AsyncAPIClient): ...  # await client.get_accrual(id)

Arguments are checked when the method is called, before anything is sent (for a list too:
the pager is built at the call, the first page fetched when iteration starts).
"""

from __future__ import annotations

import functools
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

import httpx

from balance_gateway.adapters._core.auth import LoginAuth
from balance_gateway.adapters._core.pagination import Page, numeric_cursor

if TYPE_CHECKING:
    from balance_gateway.adapters._core.client import AsyncAPIClient, SyncAPIClient

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")

QueryParams = Mapping[str, str | int | float | bool | None]


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request, built and checked, not yet sent, and how to read its successful answer.
    `idempotent` overrides the method's default (a PATCH of absolute values is safe to
    retry)."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: QueryParams | None = None
    json: Any = None
    data: Mapping[str, Any] | None = None
    idempotent: bool | None = None


@dataclass(frozen=True)
class Login(Generic[T]):
    """The vendor's login exchange (`auth.build_login_request`), sent once without the
    client's auth or retries, and how to read its answer (any status: `parse` decides)."""

    auth: LoginAuth
    parse: Callable[[httpx.Response], T]


@dataclass(frozen=True)
class Done(Generic[T]):
    """An operation that needs no request this time (say, a logout with no session open)."""

    value: T


Request = Call[T] | Login[T] | Done[T]


class Pager(Protocol[T]):
    """How to fetch the pages of one list: the request for the page at `cursor` (None: the
    first), whose parsed answer is a `Page` (its items and the next cursor)."""

    def call(self, cursor: Hashable | None) -> Call[Page[T]]: ...


@dataclass(frozen=True)
class Pages(Generic[T]):
    """A `Pager` from a function (for lists that need no state between pages)."""

    fetch: Callable[[Hashable | None], Call[Page[T]]]

    def call(self, cursor: Hashable | None) -> Call[Page[T]]:
        return self.fetch(cursor)


def numbered_pages(call_for_page: Callable[[int], Call[Page[T]]], first: int = 1) -> Pages[T]:
    """A list paged by page number: `call_for_page(n)` is the request of page `n`. The first
    page's request is built now, so that the list's arguments are checked at the call."""
    call_for_page(first)
    return Pages(lambda cursor: call_for_page(numeric_cursor(cursor, first)))


class _Described(Generic[P, R]):
    """A method that describes what to send; bound to a client, it asks the client (its
    method named `sender`) to send that and answers the result."""

    sender: str

    def __init__(self, build: Callable[Concatenate[Any, P], R]) -> None:
        self.build = build
        self.__doc__ = build.__doc__  # `help(Client.method)` shows the operation's docs
        sender = self.sender

        # Made once per operation: each access only binds it to the client (a bound method),
        # where a closure and its wrapper metadata were built on every call of an operation.
        @functools.wraps(build)
        def method(client: Any, /, *args: Any, **kwargs: Any) -> Any:
            return getattr(client, sender)(build(client, *args, **kwargs))

        self._method = method

    def _bind(self, client: Any) -> Any:
        if client is None:
            return self
        return types.MethodType(self._method, client)


class operation(_Described[P, Request[T]]):
    """One API operation: the decorated method builds its `Call` or `Login`; the client sends
    it (`run`; see the module docstring)."""

    sender = "run"

    @overload
    def __get__(self, client: None, owner: type[Any]) -> operation[P, T]: ...

    @overload
    def __get__(self, client: SyncAPIClient, owner: type[Any]) -> Callable[P, T]: ...

    @overload
    def __get__(self, client: AsyncAPIClient, owner: type[Any]) -> Callable[P, Awaitable[T]]: ...

    def __get__(self, client: Any, owner: type[Any]) -> Any:
        return self._bind(client)


class paginated(_Described[P, Pager[T]]):
    """A list walked page by page: the decorated method builds the `Pager`; the sync client
    answers an `Iterator`, the async one an `AsyncIterator` (`iterate`), both fetching lazily
    and refusing a page cursor seen twice (`PaginationError`)."""

    sender = "iterate"

    @overload
    def __get__(self, client: None, owner: type[Any]) -> paginated[P, T]: ...

    @overload
    def __get__(self, client: SyncAPIClient, owner: type[Any]) -> Callable[P, Iterator[T]]: ...

    @overload
    def __get__(
        self, client: AsyncAPIClient, owner: type[Any]
    ) -> Callable[P, AsyncIterator[T]]: ...

    def __get__(self, client: Any, owner: type[Any]) -> Any:
        return self._bind(client)
