"""The ResourceProvider gRPC service: a thin translation layer over the core provider.

Every lifecycle decision (offline checks, diffs, validation, refresh rules, redaction) is the
core's ``CredentialProvider``; this layer only converts names (camelCase <-> snake_case), keeps
secret values wrapped as secrets, runs validations in its own worker pool, and validates in
``create``/``update`` with ``preview=true`` (the engine calls those in parallel during a
preview, while it calls ``check`` one resource at a time).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2, struct_pb2  # type: ignore[import-untyped]
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.runtime.proto import plugin_pb2
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto.provider_pb2_grpc import ResourceProviderServicer

from .. import __version__
from ..core.http import HttpSettings
from ..core.provider import OUTPUT_NAMES, REQUESTED_PREFIX, CredentialProvider, ProviderError
from .config import DEFAULT_WORKERS, config_failures, namespaced, workers_of
from .engine_log import CURRENT_URN
from .kinds import PACKAGE, KindInfo, camel, kind_for_token
from .preview import preview_outputs, validate_for_preview
from .refresh_diff import RefreshNotes
from .schema import schema_json
from .wire import Bag, decode, encode

log = logging.getLogger("vendor_credentials.native")
R = TypeVar("R")


class NativeCredentialProvider(CredentialProvider):
    """The core provider as the plugin uses it: never validates in ``check`` (offline), and keeps
    its settings apart from the dynamic provider's."""

    settings: ClassVar[HttpSettings] = HttpSettings()
    preview_validation_enabled: ClassVar[bool] = True
    untrusted_skip_level: ClassVar[int] = logging.WARNING  # no program to warn: engine_log does

    def __init__(self, kind: str) -> None:
        super().__init__(kind, program_is_preview=False)


def _rpc(method: Callable[..., R]) -> Callable[..., R]:
    """Turn a ``ProviderError`` into a clean gRPC error; anything else into a message that names
    the method and exception type only (its text could hold a value)."""

    @functools.wraps(method)
    def wrapper(self: Plugin, request: Any, context: grpc.ServicerContext) -> R:
        CURRENT_URN.set(str(getattr(request, "urn", "") or ""))  # for warnings (engine_log)
        try:
            return method(self, request, context)
        except ProviderError as exc:
            context.abort(grpc.StatusCode.UNKNOWN, str(exc))
        except KeyError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc.args[0]))
        except grpc.RpcError:
            raise
        except Exception as exc:
            log.exception("internal error in %s", method.__name__)
            context.abort(
                grpc.StatusCode.INTERNAL,
                f"vendor-credentials: internal error in {method.__name__} ({type(exc).__name__})",
            )
        raise AssertionError("context.abort returned")  # pragma: no cover

    return wrapper


def _type_of(request: Any) -> str:
    """The resource type token: the request's ``type``, else the URN's last segment."""
    if getattr(request, "type", ""):
        return str(request.type)
    return str(request.urn).split("::")[2].split("$")[-1]


def _secret_outputs(info: KindInfo, *bags: Bag) -> set[str]:
    """Output names to return as secrets: the kind's secret inputs and whatever came in secret."""
    names = set(info.secret_fields) | set(info.carried_secrets)
    for bag in bags:
        names |= bag.secrets
    return {REQUESTED_PREFIX + n if n in OUTPUT_NAMES else n for n in names} | names


class Plugin(ResourceProviderServicer):
    """``pulumi-resource-vendor-credentials``: one instance per plugin process."""

    def __init__(self) -> None:
        self._providers: dict[str, NativeCredentialProvider] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(DEFAULT_WORKERS)
        self.workers = DEFAULT_WORKERS
        self._refreshes = RefreshNotes()

    # -- plumbing ------------------------------------------------------------------------------
    def _kind(self, request: Any) -> tuple[KindInfo, NativeCredentialProvider]:
        info = kind_for_token(_type_of(request))
        with self._lock:
            provider = self._providers.get(info.kind)
            if provider is None:
                provider = self._providers[info.kind] = NativeCredentialProvider(info.kind)
        return info, provider

    @contextmanager
    def _slot(self) -> Iterator[None]:
        """One of the pool's places for a vendor round trip."""
        slots = self._slots
        with slots:
            yield

    # -- plugin and provider configuration -----------------------------------------------------
    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=__version__)

    @_rpc
    def GetSchema(self, request: Any, context: Any) -> Any:
        return pb.GetSchemaResponse(schema=schema_json())

    @_rpc
    def CheckConfig(self, request: Any, context: Any) -> Any:
        news = decode(request.news).values
        config = namespaced({}, news)
        failures = [
            pb.CheckFailure(property=name, reason=reason)
            for name, reason in config_failures(config)
        ]
        return pb.CheckResponse(inputs=request.news, failures=failures)

    @_rpc
    def DiffConfig(self, request: Any, context: Any) -> Any:
        olds, news = decode(request.old_inputs).values, decode(request.news).values
        changed = sorted(k for k in set(olds) | set(news) if olds.get(k) != news.get(k))
        return pb.DiffResponse(
            changes=pb.DiffResponse.DIFF_SOME if changed else pb.DiffResponse.DIFF_NONE,
            diffs=changed,
        )

    @_rpc
    def Configure(self, request: Any, context: Any) -> Any:
        config = namespaced(dict(request.variables), decode(request.args).values)
        NativeCredentialProvider("").configure(ConfigureRequest(Config(config, PACKAGE)))
        self.workers = workers_of(config)
        self._slots = threading.BoundedSemaphore(self.workers)
        log.debug("configured: %d workers", self.workers)
        return pb.ConfigureResponse(acceptSecrets=True, supportsPreview=True)

    # -- resource lifecycle --------------------------------------------------------------------
    @_rpc
    def Check(self, request: Any, context: Any) -> Any:
        info, provider = self._kind(request)
        news, olds = decode(request.news, info), decode(request.olds, info)
        result = provider.check(olds.values, news.values)
        failures = [
            pb.CheckFailure(property=camel(f.property), reason=_camel_reason(f.property, f.reason))
            for f in result.failures or []
        ]
        secrets = set(info.secret_fields) | news.secrets
        return pb.CheckResponse(inputs=encode(result.inputs or {}, secrets), failures=failures)

    @_rpc
    def Diff(self, request: Any, context: Any) -> Any:
        info, provider = self._kind(request)
        olds, news = decode(request.olds, info).values, decode(request.news, info).values
        changed = provider.changed_inputs(olds, news)
        result = provider.diff(request.id, olds, news)
        replaces = set(result.replaces or [])
        if not changed and provider.renewal_due(olds):
            changed = ["expires_at"]  # the carried access token is due: `up` renews it
        elif not changed and result.changes and provider.relabel_due(olds, news):
            changed = ["fingerprint"]  # a new fingerprintKey: `up` relabels, no vendor call
        detailed = {
            camel(name): pb.PropertyDiff(
                kind=pb.PropertyDiff.UPDATE_REPLACE if name in replaces else pb.PropertyDiff.UPDATE
            )
            for name in changed
        }
        # The Diff of a refresh's own step: show the status it found (an output diff, which the
        # engine prints as old => refreshed value), even when it found the credential valid again.
        refreshed = self._refreshes.take(str(request.urn), olds)
        detailed.update({camel(n): pb.PropertyDiff(kind=pb.PropertyDiff.UPDATE) for n in refreshed})
        return pb.DiffResponse(
            changes=(
                pb.DiffResponse.DIFF_SOME
                if result.changes or refreshed
                else pb.DiffResponse.DIFF_NONE
            ),
            replaces=[camel(n) for n in sorted(replaces)],
            diffs=[camel(n) for n in (*changed, *refreshed)],
            detailedDiff=detailed,
            hasDetailedDiff=True,
            deleteBeforeReplace=False,
        )

    @_rpc
    def Create(self, request: Any, context: Any) -> Any:
        info, provider = self._kind(request)
        news = decode(request.properties, info)
        if request.preview:
            return pb.CreateResponse(properties=self._preview(info, provider, news, None))
        with self._slot():
            result = provider.create(news.values)
        outs = encode(result.outs or {}, _secret_outputs(info, news))
        return pb.CreateResponse(id=result.id, properties=outs)

    @_rpc
    def Update(self, request: Any, context: Any) -> Any:
        info, provider = self._kind(request)
        olds, news = decode(request.olds, info), decode(request.news, info)
        if request.preview:
            return pb.UpdateResponse(properties=self._preview(info, provider, news, olds))
        with self._slot():
            result = provider.update(request.id, olds.values, news.values)
        return pb.UpdateResponse(properties=encode(result.outs or {}, _secret_outputs(info, news)))

    @_rpc
    def Read(self, request: Any, context: Any) -> Any:
        info, provider = self._kind(request)
        props = decode(request.properties, info)
        before = props.values  # the outputs in state: a refresh's, none for an import or a get
        if not props.values:  # a user-driven get passes only inputs
            props = decode(request.inputs, info)
        with self._slot():
            result = provider.read(request.id, props.values)
        self._refreshes.remember(str(request.urn), before, result.outs or {})
        outs = encode(result.outs or {}, _secret_outputs(info, props))
        return pb.ReadResponse(id=result.id or "", properties=outs, inputs=request.inputs)

    @_rpc
    def Delete(self, request: Any, context: Any) -> Any:
        """Nothing to delete at the vendor: the credential only leaves the stack's state."""
        self._kind(request)
        return empty_pb2.Empty()

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def _preview(
        self, info: KindInfo, provider: NativeCredentialProvider, news: Bag, olds: Bag | None
    ) -> struct_pb2.Struct:
        """Validate a new or changed credential (when preview validation is on), then answer the
        outputs it will have: its inputs, and unknowns for what only ``up`` may store."""
        with self._slot():
            validate_for_preview(provider, news.values, olds.values if olds else None)
        return encode(preview_outputs(info, news.values), _secret_outputs(info, news))


def _camel_reason(field: str, reason: str) -> str:
    """Check failures start with the field's Python name; users of the schema know its camelCase."""
    if field and reason.startswith(field):
        return camel(field) + reason[len(field) :]
    return reason
