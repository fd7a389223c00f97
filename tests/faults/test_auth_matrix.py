"""Authentication and tenant isolation over every method the gateway exposes.

The method list is the gateway's own route table (``gateway.routes``, built
from the service descriptors), so an RPC added to a ``.proto`` is in the
matrix without touching this file; a method whose resource names this test
cannot reach fails it until it gets a base request below.

- 4 credential cases x every method: no ``authorization``, an empty one, a
  wrong key, a revoked key. Each answers UNAUTHENTICATED with an ErrorInfo
  reason, and nothing reaches a service (tenant A's resources are unchanged).
- The 5th case, another tenant's key: for every resource-name field of every
  request (found in the descriptors, nested fields included) and every one
  of tenant A's resources, tenant B's call answers exactly what it answers
  for a missing resource of the same shape (same code, reason and message),
  and shows none of A's names. For every method that takes a name, at least one such call
  is shown to reach A's resource with A's key while B gets NOT_FOUND.
- Health and reflection are open by design (load balancers, grpcurl); they
  name no tenant resource.
"""

from __future__ import annotations

import collections
import copy
import hashlib
import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from gateway.api_keys import hash_key
from gateway.routes import PUBLIC_SERVICES
from previs.storage.v1 import storage_service_pb2 as spb
from tests.faults.base_requests import base_request, exposed_methods, note_ids
from tests.faults.message_strategies import is_name_field, set_string_at, string_fields
from tests.faults.outcomes import Caller, Outcome, bearer
from tests.faults.tenant_resources import TenantResources, make_resources
from tests.suite import TENANT_A_KEY, TENANT_B_KEY, in_process_suite

REVOKED_KEY = "pvk_suite_tenant_a_revoked"
WRONG_KEY = "pvk_" + "x" * 43
MISSING_PROJECT = "projects/tenant-a-p9"
CREDENTIALS = {
    "none": (),
    "empty": (("authorization", ""),),
    "empty bearer": (("authorization", "Bearer "),),
    "wrong": bearer(WRONG_KEY),
    "revoked": bearer(REVOKED_KEY),
}
OPEN_BY_DESIGN = ("grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection")

# CreateProject's only name field is the new project's (output-only) name: a
# project made with B's key is B's own (the snapshot and _shows check that).
NAMES_IGNORED = {"CreateProject"}


def name_paths(method: MethodDescriptor) -> list[str]:
    return [path for path, field in string_fields(method.input_type) if is_name_field(field)]


def _with_name(base: Message | list, path: str, name: str) -> Message | list:
    request = copy.deepcopy(base)
    target = request[0] if isinstance(request, list) else request
    set_string_at(target, path, name)
    return request


def _missing(request: Message | list, project: str) -> Message | list:
    """The same request with every mention of ``project`` swapped for a
    project no tenant has (same length, so the wire bytes stay valid)."""
    assert len(project) == len(MISSING_PROJECT)
    if isinstance(request, list):
        return [_missing(part, project) for part in request]
    data = request.SerializeToString().replace(project.encode(), MISSING_PROJECT.encode())
    return type(request).FromString(data)


def _same_answer(one: Outcome, other: Outcome, project: str) -> bool:
    return (one.code, one.reason, one.message.replace(project, MISSING_PROJECT)) == (other.code, other.reason, other.message)


def _shows(outcome: Outcome, owner: TenantResources, request: Message | list) -> bool:
    """Whether an answer carries a name of ``owner``'s that the request did
    not mention (a leak even when the call itself was allowed)."""
    sent = b"".join(part.SerializeToString() for part in (request if isinstance(request, list) else [request]))
    answered = b"".join(r.SerializeToString() if isinstance(r, Message) else bytes(r) for r in outcome.responses)
    return any(name.encode() in answered and name.encode() not in sent for name in owner.all_names())


def _order(methods: list[MethodDescriptor]) -> list[MethodDescriptor]:
    """Deletes last (projects very last), so A's resources live throughout."""
    return sorted(methods, key=lambda m: (m.name.startswith("Delete"), m.name == "DeleteProject", m.full_name))


async def _snapshot(channel: grpc.aio.Channel, made: TenantResources) -> str:
    """What tenant A can see of its storage resources, as one digest."""
    from previs.storage.v1 import storage_service_pb2_grpc as sgrpc

    stub = sgrpc.StorageServiceStub(channel)
    md = bearer(made.key)
    project = await stub.GetProject(spb.GetProjectRequest(name=made.names["project"]), metadata=md)
    assets = await stub.ListAssets(spb.ListAssetsRequest(parent=project.name, page_size=1000), metadata=md)
    projects = await stub.ListProjects(spb.ListProjectsRequest(page_size=1000), metadata=md)
    digest = hashlib.sha256()
    for message in (project, assets, projects):
        digest.update(message.SerializeToString(deterministic=True))
    return digest.hexdigest()


@pytest.fixture
async def tenants(tmp_path, monkeypatch):
    monkeypatch.setenv("PREVIS_GATEWAY_RATE_LIMIT_PER_SECOND", "0")
    import json

    revoked = [{"id": "a-old", "tenant": "tenant-a", "principal": "alice", "sha256": hash_key(REVOKED_KEY), "revoked": True}]
    monkeypatch.setenv("PREVIS_GATEWAY_API_KEYS", json.dumps(revoked))
    from gateway.settings import GatewaySettings

    configured = GatewaySettings(internal_token="t").api_keys
    assert [e.id for e in configured if e.revoked] == ["a-old"]  # the revoked key is really in the settings
    async with in_process_suite(tmp_path) as suite:
        async with grpc.aio.insecure_channel(suite.address("gateway")) as channel:
            a = await make_resources(channel, "tenant-a", TENANT_A_KEY)
            b = await make_resources(channel, "tenant-b", TENANT_B_KEY)
            assert not {k for k in a.missing_kinds if k != "trace_revision"}, a.missing_kinds
            await note_ids(channel, a)
            yield channel, a, b


async def test_every_method_rejects_missing_empty_wrong_and_revoked_keys(tenants):
    channel, a, _b = tenants
    before = await _snapshot(channel, a)
    answers: collections.Counter = collections.Counter()
    wrong: list[str] = []
    methods = exposed_methods()
    for method in methods:
        base = base_request(method, a)
        for case, metadata in CREDENTIALS.items():
            outcome = await Caller(channel, metadata).call(method, base, timeout=10)
            answers[(case, outcome.code.name, outcome.reason)] += 1
            if outcome.code != grpc.StatusCode.UNAUTHENTICATED or not outcome.reason.startswith("API_KEY_") or outcome.problems():
                wrong.append(f"{method.name} [{case}]: {outcome.code.name} {outcome.reason} {outcome.message[:100]}")
    print(f"\n{len(methods)} methods x {len(CREDENTIALS)} credential cases:")
    for (case, code, reason), count in sorted(answers.items()):
        print(f"  {case:<13} {code} {reason}: {count}")
    assert not wrong, "\n".join(wrong)
    assert await _snapshot(channel, a) == before, "a rejected call changed tenant A's resources"


async def test_health_and_reflection_are_the_only_open_services(tenants):
    channel, _a, _b = tenants
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING

    async def ask():
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    listed = [r async for r in reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(ask(), timeout=5)]
    services = {s.name for s in listed[0].list_services_response.service}
    assert services - set(OPEN_BY_DESIGN) == set(PUBLIC_SERVICES)
    # The internal admin service is not reachable, even with a valid key.
    for path in ("/previs.storage.v1.StorageAdminService/RecordSpend", "/previs.storage.v1.StorageAdminService/CollectGarbage"):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await channel.unary_unary(path)(b"", metadata=bearer(TENANT_A_KEY), timeout=5)
        assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_another_tenants_key_finds_nothing_of_tenant_a(tenants):
    channel, a, b = tenants
    project = a.names["project"]
    b_caller, a_caller = Caller(channel, bearer(b.key)), Caller(channel, bearer(a.key))
    before = await _snapshot(channel, a)
    leaks: list[str] = []
    probes = 0
    hidden: dict[str, list[tuple[str, Message | list]]] = collections.defaultdict(list)  # method -> (path, request) B got NOT_FOUND on
    methods = _order(exposed_methods())
    with_names = [m for m in methods if name_paths(m)]
    for method in with_names:
        base = base_request(method, a)
        for path in name_paths(method):
            for name in a.all_names():
                request = _with_name(base, path, name)
                theirs = await b_caller.call(method, request, timeout=10)
                missing = await b_caller.call(method, _missing(request, project), timeout=10)
                probes += 1
                if theirs.problems() or not _same_answer(theirs, missing, project) or _shows(theirs, a, request):
                    leaks.append(
                        f"{method.name} {path}={name}: B got {theirs.code.name} {theirs.reason} {theirs.message[:120]!r}; "
                        f"missing resource: {missing.code.name} {missing.reason} {missing.message[:120]!r}"
                    )
                elif theirs.code == grpc.StatusCode.NOT_FOUND:
                    hidden[method.name].append((path, request))
    assert not leaks, "\n".join(leaks[:30])
    assert await _snapshot(channel, a) == before, "tenant B's calls changed tenant A's resources"

    # Each hidden name really is A's: with A's key the same call gets past
    # the lookup (anything but NOT_FOUND), for every method that takes names.
    unproven = []
    for method in with_names:
        if method.name in NAMES_IGNORED:
            continue
        reached = False
        for path, request in hidden.get(method.name, []):
            outcome = await a_caller.call(method, request, timeout=30)
            if outcome.code != grpc.StatusCode.NOT_FOUND:
                reached = True
                break
        if not reached:
            unproven.append(method.name)
    print(f"\ncross-tenant probes: {probes} (B on A's resource vs a missing one), leaks 0; "
          f"methods with names {len(with_names)}, proven hidden {len(with_names) - len(unproven)}")
    assert not unproven, f"no call of these methods reached tenant A's resource with A's key (add a base request): {unproven}"


MEDIA_PARENT_METHODS = ("GenerateImage", "GenerateVideo", "GenerateCharacterReference", "ListJobs")


async def test_media_checks_the_parent_project(tenants):
    """A job or job list under a project the caller does not have answers
    NOT_FOUND before any generation starts (and is paid for). (Found by the
    cross-tenant matrix: these answered OK and the job rendered before
    failing to store its output.)"""
    channel, a, b = tenants
    caller = Caller(channel, bearer(b.key))
    methods = {m.name: m for m in exposed_methods()}
    answers = {}
    for name in MEDIA_PARENT_METHODS:
        request = base_request(methods[name], a)
        answers[name] = (await caller.call(methods[name], request, timeout=10)).code
    assert answers == {name: grpc.StatusCode.NOT_FOUND for name in MEDIA_PARENT_METHODS}, answers
