"""Shared projects: members see and use a project's datasets and all made from them;
everyone else gets 404; only owners change what others rely on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.conftest import CSV, Server

API = "/api/v1"


@pytest.fixture
def carol(server: Server) -> dict[str, str]:
    return server.add_user("carol")


def user_id(server: Server, headers: dict[str, str]) -> str:
    return str(server.client.get(f"{API}/auth/me", headers=headers).json()["user"]["id"])


def new_project(server: Server, owner: dict[str, str], name: str = "Team") -> dict[str, Any]:
    response = server.client.post(f"{API}/projects", json={"name": name}, headers=owner)
    assert response.status_code == 201, response.text
    return dict(response.json())


def add_member(server: Server, owner: dict[str, str], project: str, name: str) -> Any:
    return server.client.post(
        f"{API}/projects/{project}/members", json={"username": name}, headers=owner
    )


def shared_upload(server: Server, owner: dict[str, str], project: str) -> str:
    response = server.client.post(
        f"{API}/datasets",
        files={"file": ("team.csv", CSV.encode())},
        data={"project_id": project},
        headers=owner,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def build_on(server: Server, headers: dict[str, str], dataset: str) -> dict[str, str]:
    """Train, generate and evaluate on `dataset` as the user of `headers`."""
    client = server.client
    run = server.train(headers, dataset)
    assert server.wait(headers, run["job"]["id"])["status"] == "succeeded"
    body = {"run_id": run["id"], "n_rows": 50}
    table = client.post(f"{API}/synthetic-tables", json=body, headers=headers).json()
    assert server.wait(headers, table["job"]["id"])["status"] == "succeeded"
    evaluation = client.post(
        f"{API}/evaluations", json={"synthetic_id": table["id"]}, headers=headers
    ).json()
    assert server.wait(headers, evaluation["job"]["id"])["status"] == "succeeded"
    return {
        "run": run["id"],
        "table": table["id"],
        "evaluation": evaluation["id"],
        "job": run["job"]["id"],
    }


def reads(dataset: str, made: dict[str, str]) -> list[str]:
    return [
        f"{API}/datasets/{dataset}",
        f"{API}/datasets/{dataset}/preview",
        f"{API}/datasets/{dataset}/file",
        f"{API}/runs/{made['run']}",
        f"{API}/runs/{made['run']}/model.zip",
        f"{API}/synthetic-tables/{made['table']}",
        f"{API}/synthetic-tables/{made['table']}/download",
        f"{API}/evaluations/{made['evaluation']}/report",
        f"{API}/evaluations/{made['evaluation']}/figures",
        f"{API}/evaluations/{made['evaluation']}/report.html",
        f"{API}/jobs/{made['job']}",
        f"{API}/jobs/{made['job']}/events",
    ]


def listed(server: Server, headers: dict[str, str]) -> dict[str, int]:
    kinds = ["datasets", "runs", "synthetic-tables", "evaluations", "jobs"]
    return {k: len(server.client.get(f"{API}/{k}", headers=headers).json()) for k in kinds}


def test_members_see_and_build_on_a_shared_dataset_and_others_get_404(
    server: Server, alice: dict[str, str], bob: dict[str, str], carol: dict[str, str]
) -> None:
    client = server.client
    project = new_project(server, alice)
    assert [m["username"] for m in project["members"]] == ["alice"]
    dataset = shared_upload(server, alice, project["id"])
    assert (
        client.get(f"{API}/datasets/{dataset}", headers=alice).json()["project_id"]
        == (project["id"])
    )
    # Not a member yet: bob sees nothing.
    assert client.get(f"{API}/datasets/{dataset}", headers=bob).status_code == 404
    assert client.get(f"{API}/projects/{project['id']}", headers=bob).status_code == 404

    response = add_member(server, alice, project["id"], "BOB")  # names match in any case
    assert response.status_code == 201
    assert [m["username"] for m in response.json()["members"]] == ["alice", "bob"]
    assert [p["name"] for p in client.get(f"{API}/projects", headers=bob).json()] == ["Team"]

    # Bob, a member, trains, generates and evaluates on Alice's dataset ...
    made = build_on(server, bob, dataset)
    for url in reads(dataset, made):
        assert client.get(url, headers=bob).status_code == 200, url
        assert client.get(url, headers=alice).status_code == 200, url  # ... and she sees it
    assert (
        listed(server, bob)
        == listed(server, alice)
        == {
            "datasets": 1,
            "runs": 1,
            "synthetic-tables": 1,
            "evaluations": 1,
            "jobs": 3,
        }
    )

    # Carol, not a member, gets 404 everywhere and sees nothing listed.
    for url in [*reads(dataset, made), f"{API}/projects/{project['id']}"]:
        response = client.get(url, headers=carol)
        assert response.status_code == 404, url
        assert response.json()["detail"].endswith("not found")
    assert set(listed(server, carol).values()) == {0}
    assert client.get(f"{API}/projects", headers=carol).json() == []
    assert add_member(server, carol, project["id"], "carol").status_code == 404
    response = client.post(
        f"{API}/runs",
        json={"dataset_id": dataset, "synthesizer": "gaussian_copula"},
        headers=carol,
    )
    assert response.status_code == 404


def test_only_owners_change_what_others_rely_on(
    server: Server, alice: dict[str, str], bob: dict[str, str]
) -> None:
    client = server.client
    project = new_project(server, alice)["id"]
    assert add_member(server, alice, project, "bob").status_code == 201
    dataset = shared_upload(server, alice, project)
    alices = server.train(alice, dataset)
    bobs = server.train(bob, dataset)
    for run in (alices, bobs):
        assert server.wait(alice, run["job"]["id"])["status"] == "succeeded"

    # A member may not manage the project, the dataset or Alice's work.
    assert add_member(server, bob, project, "carol").status_code == 403
    assert client.delete(f"{API}/projects/{project}", headers=bob).status_code == 403
    forbidden = [
        ("DELETE", f"{API}/datasets/{dataset}", None),
        ("PUT", f"{API}/datasets/{dataset}/project", {"project_id": None}),
        ("DELETE", f"{API}/runs/{alices['id']}", None),
        ("POST", f"{API}/jobs/{alices['job']['id']}/retry", None),
    ]
    for method, url, body in forbidden:
        response = client.request(method, url, json=body, headers=bob)
        assert response.status_code == 403, (method, url, response.text)
        assert "owner" in response.json()["detail"]
    # The dataset's owner may delete a member's work; the member his own.
    assert client.delete(f"{API}/runs/{bobs['id']}", headers=alice).status_code == 204
    bobs = server.train(bob, dataset)
    server.wait(bob, bobs["job"]["id"])
    assert client.delete(f"{API}/runs/{bobs['id']}", headers=bob).status_code == 204

    # Unknown names and the owner leaving are refused with a message.
    response = add_member(server, alice, project, "nobody")
    assert response.status_code == 422 and "no user named 'nobody'" in response.json()["detail"]
    assert add_member(server, alice, project, "no\x00body").status_code == 422
    alice_id = user_id(server, alice)
    response = client.delete(f"{API}/projects/{project}/members/{alice_id}", headers=alice)
    assert response.status_code == 409


def test_leaving_or_being_removed_hides_everything_again(
    server: Server, alice: dict[str, str], bob: dict[str, str]
) -> None:
    client = server.client
    project = new_project(server, alice)["id"]
    add_member(server, alice, project, "bob")
    dataset = shared_upload(server, alice, project)
    run = server.train(bob, dataset)
    server.wait(bob, run["job"]["id"])
    own = [
        f"{API}/datasets/{dataset}",
        f"{API}/runs/{run['id']}",
        f"{API}/runs/{run['id']}/model.zip",
        f"{API}/jobs/{run['job']['id']}",
    ]
    bob_id = user_id(server, bob)
    assert client.delete(f"{API}/projects/{project}/members/{bob_id}", headers=alice).is_success
    # Bob's own run on the shared dataset goes out of his sight with the dataset.
    for url in own:
        assert client.get(url, headers=bob).status_code == 404, url
    assert set(listed(server, bob).values()) == {0}
    # Back in, then leaving by himself.
    add_member(server, alice, project, "bob")
    assert all(client.get(url, headers=bob).status_code == 200 for url in own)
    assert client.delete(f"{API}/projects/{project}/members/{bob_id}", headers=bob).is_success
    assert all(client.get(url, headers=bob).status_code == 404 for url in own)


def test_moving_datasets_and_deleting_a_project(
    server: Server, alice: dict[str, str], bob: dict[str, str]
) -> None:
    client = server.client
    private = server.upload(alice)
    theirs = new_project(server, bob, "Bob's")["id"]
    # Neither uploading nor moving into a project one does not belong to.
    response = client.post(
        f"{API}/datasets",
        files={"file": ("x.csv", b"a,b\n1,2\n3,4\n5,6\n")},
        data={"project_id": theirs},
        headers=alice,
    )
    assert response.status_code == 404
    assert len(client.get(f"{API}/datasets", headers=alice).json()) == 1
    url = f"{API}/datasets/{private}/project"
    assert client.put(url, json={"project_id": theirs}, headers=alice).status_code == 404

    ours = new_project(server, alice, "Ours")["id"]
    add_member(server, alice, ours, "bob")
    moved = client.put(url, json={"project_id": ours}, headers=alice)
    assert moved.status_code == 200 and moved.json()["project_id"] == ours
    assert client.get(f"{API}/datasets/{private}", headers=bob).status_code == 200
    assert client.put(url, json={"project_id": None}, headers=alice).json()["project_id"] is None
    assert client.get(f"{API}/datasets/{private}", headers=bob).status_code == 404

    client.put(url, json={"project_id": ours}, headers=alice)
    assert client.delete(f"{API}/projects/{ours}", headers=alice).status_code == 204
    # The dataset stays with its owner, private again.
    assert client.get(f"{API}/datasets/{private}", headers=alice).json()["project_id"] is None
    assert client.get(f"{API}/datasets/{private}", headers=bob).status_code == 404
    assert client.get(f"{API}/projects/{ours}", headers=alice).status_code == 404
