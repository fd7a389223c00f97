"""Projects: create, get, list, update, soft delete, tenancy."""

import grpc
from google.protobuf import field_mask_pb2

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb
from tests.status_details import details_of, reason_of, violated_fields
from tests.storage.harness import rpc_error


async def test_create_generates_an_id_and_records_the_tenant(storage):
    project = await storage.a.project("Night Shift", labels={"client": "acme"}, budget_usd=12.5)
    assert project.name.startswith("projects/") and len(project.name) > len("projects/")
    assert project.tenant == "tenant-a" and project.owner == "alice"
    assert project.state == storage_pb2.Project.STATE_ACTIVE
    assert project.budget_usd == 12.5 and project.spent_usd == 0
    assert project.etag and project.create_time.seconds > 0
    fetched = await storage.a.storage.GetProject(pb.GetProjectRequest(name=project.name))
    assert fetched == project


async def test_retry_with_the_same_request_id_returns_the_first_project(storage):
    request = pb.CreateProjectRequest(project=storage_pb2.Project(title="One"), request_id="create-1")
    first = await storage.a.storage.CreateProject(request)
    again = await storage.a.storage.CreateProject(request)
    assert again == first
    listed = await storage.a.storage.ListProjects(pb.ListProjectsRequest())
    assert [p.name for p in listed.projects] == [first.name]


async def test_a_given_id_is_taken_once_per_tenant(storage):
    request = pb.CreateProjectRequest(project=storage_pb2.Project(title="Mine"), project_id="shared-id")
    created = await storage.a.storage.CreateProject(request)
    assert created.name == "projects/shared-id"
    error = await rpc_error(storage.a.storage.CreateProject(request))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS and reason_of(error) == "PROJECT_ALREADY_EXISTS"
    # Ids are per tenant: another tenant learns nothing and gets its own.
    theirs = await storage.b.storage.CreateProject(request)
    assert theirs.name == "projects/shared-id" and theirs.tenant == "tenant-b"


async def test_another_tenants_project_answers_exactly_like_a_missing_one(storage):
    project = await storage.a.project()
    missing_name = "projects/does-not-exist"
    hidden = await rpc_error(storage.b.storage.GetProject(pb.GetProjectRequest(name=project.name)))
    missing = await rpc_error(storage.b.storage.GetProject(pb.GetProjectRequest(name=missing_name)))
    assert hidden.code() == missing.code() == grpc.StatusCode.NOT_FOUND
    assert hidden.details() == missing.details().replace(missing_name, project.name)
    assert reason_of(hidden) == reason_of(missing) == "PROJECT_NOT_FOUND"
    for call in (
        storage.b.storage.DeleteProject(pb.DeleteProjectRequest(name=project.name)),
        storage.b.storage.UpdateProject(
            pb.UpdateProjectRequest(
                project=storage_pb2.Project(name=project.name, title="x"), update_mask=field_mask_pb2.FieldMask(paths=["title"])
            )
        ),
        storage.b.storage.CreateAsset(pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset(kind=1))),
        storage.b.storage.ListAssets(pb.ListAssetsRequest(parent=project.name)),
    ):
        error = await rpc_error(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND and reason_of(error) == "PROJECT_NOT_FOUND"
    listed = await storage.b.storage.ListProjects(pb.ListProjectsRequest())
    assert list(listed.projects) == []


async def test_bad_fields_are_invalid_argument_naming_the_field(storage):
    cases = [
        (pb.CreateProjectRequest(project=storage_pb2.Project(title="")), "project.title"),
        (pb.CreateProjectRequest(project=storage_pb2.Project(title="x" * 201)), "project.title"),
        (pb.CreateProjectRequest(project=storage_pb2.Project(title="t", owner="o" * 129)), "project.owner"),
        (pb.CreateProjectRequest(project=storage_pb2.Project(title="t", labels={"Bad Key": "v"})), "project.labels"),
        (pb.CreateProjectRequest(project=storage_pb2.Project(title="t", labels={"k": "v" * 257})), "project.labels[k]"),
        (
            pb.CreateProjectRequest(project=storage_pb2.Project(title="t", labels={f"k{i}": "v" for i in range(65)})),
            "project.labels",
        ),
        (pb.CreateProjectRequest(project=storage_pb2.Project(title="t", budget_usd=-1)), "project.budget_usd"),
        (pb.CreateProjectRequest(project=storage_pb2.Project(title="t"), project_id="../etc"), "project_id"),
        (pb.CreateProjectRequest(project=storage_pb2.Project(title="t"), request_id="r" * 129), "request_id"),
    ]
    for request, field in cases:
        error = await rpc_error(storage.a.storage.CreateProject(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert violated_fields(error) == [field]
    for name in ("", "projects/", "projects/UPPER", "projects/a/b", "projects/../x", "projects/a\x00"):
        error = await rpc_error(storage.a.storage.GetProject(pb.GetProjectRequest(name=name)))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["name"]


async def test_list_is_newest_first_filtered_and_paginated(storage):
    created = [await storage.a.project(f"P{i}", owner="carol" if i % 2 else "dave") for i in range(5)]
    page = await storage.a.storage.ListProjects(pb.ListProjectsRequest(page_size=2))
    names = [p.name for p in page.projects]
    while page.next_page_token:
        page = await storage.a.storage.ListProjects(pb.ListProjectsRequest(page_size=2, page_token=page.next_page_token))
        names += [p.name for p in page.projects]
    assert names == [p.name for p in reversed(created)]
    carols = await storage.a.storage.ListProjects(pb.ListProjectsRequest(owner="carol"))
    assert [p.name for p in carols.projects] == [created[3].name, created[1].name]


async def test_tampered_or_foreign_page_tokens_and_negative_sizes_are_invalid(storage):
    for i in range(3):
        await storage.a.project(f"P{i}")
    page = await storage.a.storage.ListProjects(pb.ListProjectsRequest(page_size=1))
    token = page.next_page_token
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for request in (
        pb.ListProjectsRequest(page_size=1, page_token=tampered),
        pb.ListProjectsRequest(page_size=1, page_token="not-a-token"),
        pb.ListProjectsRequest(page_size=1, page_token=token, owner="someone-else"),
    ):
        error = await rpc_error(storage.a.storage.ListProjects(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["page_token"]
    error = await rpc_error(storage.a.storage.ListProjects(pb.ListProjectsRequest(page_size=-1)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["page_size"]


async def test_update_with_mask_and_etag(storage):
    project = await storage.a.project("Old", labels={"a": "1"})
    mask = field_mask_pb2.FieldMask(paths=["title", "labels"])
    changed = await storage.a.storage.UpdateProject(
        pb.UpdateProjectRequest(
            project=storage_pb2.Project(name=project.name, title="New", labels={"b": "2"}, owner="ignored", etag=project.etag),
            update_mask=mask,
        )
    )
    assert (changed.title, dict(changed.labels), changed.owner) == ("New", {"b": "2"}, "alice")
    assert changed.etag != project.etag
    stale = await rpc_error(
        storage.a.storage.UpdateProject(
            pb.UpdateProjectRequest(project=storage_pb2.Project(name=project.name, title="Lost", etag=project.etag), update_mask=mask)
        )
    )
    assert stale.code() == grpc.StatusCode.ABORTED and reason_of(stale) == "ETAG_MISMATCH"
    current = await storage.a.storage.GetProject(pb.GetProjectRequest(name=project.name))
    assert current.title == "New"
    for paths in ([], ["tenant"]):
        error = await rpc_error(
            storage.a.storage.UpdateProject(
                pb.UpdateProjectRequest(
                    project=storage_pb2.Project(name=project.name, title="x"), update_mask=field_mask_pb2.FieldMask(paths=paths)
                )
            )
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["update_mask"]


async def test_soft_delete_hides_the_project_and_makes_it_read_only(storage):
    project = await storage.a.project("Doomed")
    stale = await rpc_error(storage.a.storage.DeleteProject(pb.DeleteProjectRequest(name=project.name, etag="v999")))
    assert stale.code() == grpc.StatusCode.ABORTED
    deleted = await storage.a.storage.DeleteProject(pb.DeleteProjectRequest(name=project.name, etag=project.etag))
    assert deleted.state == storage_pb2.Project.STATE_DELETED and deleted.delete_time.seconds > 0
    assert list((await storage.a.storage.ListProjects(pb.ListProjectsRequest())).projects) == []
    shown = await storage.a.storage.ListProjects(pb.ListProjectsRequest(show_deleted=True))
    assert [p.name for p in shown.projects] == [project.name]
    assert (await storage.a.storage.GetProject(pb.GetProjectRequest(name=project.name))).state == storage_pb2.Project.STATE_DELETED
    error = await rpc_error(
        storage.a.storage.CreateAsset(pb.CreateAssetRequest(parent=project.name, asset=storage_pb2.Asset(kind=1)))
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == "PROJECT_DELETED"
    again = await storage.a.storage.DeleteProject(pb.DeleteProjectRequest(name=project.name))
    assert again.delete_time == deleted.delete_time
    assert details_of(error)["ErrorInfo"].domain == "previs.dev"
