"""Upload create / show / PATCH rules, following Procore's upload documentation."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest

from uploader_gui.sandbox import DemoInfo, Sandbox

from .raw_client import MIB5, Api

SHA = "a" * 64


def seg(size: int, **extra: Any) -> dict[str, Any]:
    return {"size": size, "sha256": SHA, **extra}


def test_non_segmented_answer_has_fields_in_order(api: Api) -> None:
    answer = api.create_upload({"response_filename": "Contract.pdf"})
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"uuid", "url", "fields"}
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", body["uuid"])
    assert list(body["fields"]) == ["key", "Content-Type", "Content-Disposition", "policy",
                                    "x-amz-credential", "x-amz-algorithm", "x-amz-date",
                                    "x-amz-signature"]
    assert body["fields"]["Content-Type"] == "application/pdf"
    assert body["fields"]["Content-Disposition"] == 'inline; filename="Contract.pdf"'
    assert body["url"].startswith(api.sb.storage_url)


def test_v11_requires_response_filename(api: Api) -> None:
    answer = api.post(api.uploads_path, json={"response_content_type": "application/pdf"})
    assert answer.status_code == 422
    assert answer.json() == {"errors": {"response_filename": ["can't be blank"]}}


def test_v10_takes_an_empty_body(api: Api) -> None:
    answer = api.post(f"/rest/v1.0/companies/{api.demo.company_id}/uploads")
    assert answer.status_code == 201
    assert answer.json()["fields"]["key"].startswith(f"companies/{api.demo.company_id}/")


def test_segmented_answer_shape(api: Api, two_parts: list[bytes]) -> None:
    body = api.create_segmented(two_parts)
    assert body["status"] == "ready"
    first, last = body["segments"]
    assert first["size"] == MIB5 and last["size"] == 1
    assert first["headers"] == {
        "x-amz-content-sha256": hashlib.sha256(two_parts[0]).hexdigest(),
        "content-length": str(MIB5),
        "content-md5": base64.b64encode(hashlib.md5(two_parts[0]).digest()).decode()}
    assert "X-Amz-Signature=" in first["url"] and "partNumber=1" in first["url"]


def test_content_md5_header_only_when_md5_given(api: Api, two_parts: list[bytes]) -> None:
    body = api.create_segmented(two_parts, md5=False)
    assert "content-md5" not in body["segments"][0]["headers"]
    assert body["segments"][0]["md5"] is None


@pytest.mark.parametrize("segments, field", [
    ([seg(MIB5 - 1), seg(1)], "segments"),                     # a non-last part under 5 MiB
    ([seg(5 * 1024 ** 3 + 1)], "segments"),                    # a part over 5 GiB
    ([seg(MIB5, sha256="abc")], "segments"),                   # sha256 not 64 hex
    ([seg(MIB5, md5="xyz")], "segments"),                      # md5 not 32 hex
    ([{"size": MIB5}], "segments"),                            # no sha256
    ([{"sha256": SHA}], "segments"),                           # no size
    ([], "segments"),
])
def test_bad_segments_are_refused(api: Api, segments: list[Any], field: str) -> None:
    answer = api.create_upload({"response_filename": "x.bin", "segments": segments})
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == [field]


def test_more_than_10000_segments_refused(api: Api) -> None:
    segments = [seg(MIB5) for _ in range(10_001)]
    answer = api.create_upload({"response_filename": "x.bin", "segments": segments})
    assert answer.status_code == 422


def test_size_must_equal_the_sum_of_segments(api: Api) -> None:
    answer = api.create_upload({"response_filename": "x.bin", "size": MIB5,
                                "segments": [seg(MIB5), seg(2)]})
    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["size"]
    ok = api.create_upload({"response_filename": "x.bin", "size": MIB5 + 2,
                            "segments": [seg(MIB5), seg(2)]})
    assert ok.status_code == 201


def test_json_body_required(api: Api) -> None:
    answer = api.post(api.uploads_path, data={"response_filename": "a.pdf"})
    assert answer.status_code == 415
    broken = api.post(api.uploads_path, data=b"{not json",
                      headers={"Content-Type": "application/json"})
    assert broken.status_code == 400


def test_show_returns_same_shape_with_status(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    shown = api.get(f"{api.uploads_path}/{created['uuid']}")
    assert shown.status_code == 200
    assert shown.json() == created
    plain = api.create_upload().json()
    shown_plain = api.get(f"{api.uploads_path}/{plain['uuid']}").json()
    assert shown_plain == dict(plain, status="ready")


def test_only_the_owner_may_show_or_complete(api: Api, sandbox: Sandbox, demo: DemoInfo,
                                              two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    other = sandbox.issue_token(demo.other_user_id)
    assert api.get(f"{api.uploads_path}/{created['uuid']}", token=other).status_code == 403
    assert api.complete(created["uuid"], ["0" * 32, "0" * 32], token=other).status_code == 403


def test_upload_seen_through_another_project_is_hidden(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    other_path = f"/rest/v1.1/projects/{api.demo.project_ids[1]}/uploads/{created['uuid']}"
    assert api.get(other_path).status_code == 404


def test_unknown_upload_is_404(api: Api) -> None:
    assert api.get(f"{api.uploads_path}/01ARZ3NDEKTSV4RRFFQ69G5FAV").status_code == 404
    assert api.complete("01ARZ3NDEKTSV4RRFFQ69G5FAV", []).status_code == 404


def test_complete_needs_every_part(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    put = api.put_part(created["segments"][0], two_parts[0])
    etag = put.headers["ETag"].strip('"')
    answer = api.complete(created["uuid"], [etag, hashlib.md5(b"Z").hexdigest()],
                          created["segments"])
    assert answer.status_code == 422
    assert "segment 2 has not been uploaded" in answer.json()["errors"]["segments"][0]


def test_complete_checks_count_order_and_values(api: Api, two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    etags = [api.put_part(s, d).headers["ETag"] for s, d in zip(created["segments"], two_parts, strict=True)]
    uuid = created["uuid"]
    segments = created["segments"]
    assert api.complete(uuid, etags[:1], segments[:1]).status_code == 422
    assert api.complete(uuid, list(reversed(etags)), segments).status_code == 422
    assert api.complete(uuid, ["0" * 32, etags[1]], segments).status_code == 422
    assert api.patch(f"{api.uploads_path}/{uuid}", json={}).status_code == 422
    # Quoted etags (as the storage sent them) are accepted too.
    done = api.complete(uuid, etags, segments)
    assert done.status_code == 200
    assert done.json()["status"] == "complete"
    assert api.get(f"{api.uploads_path}/{uuid}").json()["status"] == "complete"


def test_complete_of_non_segmented_upload_is_refused(api: Api) -> None:
    created = api.create_upload().json()
    assert api.complete(created["uuid"], ["0" * 32]).status_code == 422


def test_week_old_unassociated_upload_is_deleted(api: Api, sandbox: Sandbox,
                                                 two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    kept_uuid = api.finished_upload()
    assert api.create_file(kept_uuid, "kept.pdf").status_code == 201
    sandbox.advance_clock(7 * 24 * 3600 + 1)
    uuids = {u["uuid"] for u in sandbox.uploads()}
    assert created["uuid"] not in uuids
    assert kept_uuid in uuids
    token = sandbox.issue_token(api.demo.user_id)  # the old one expired with the week
    gone = api.complete(created["uuid"], ["0" * 32, "0" * 32], token=token)
    assert gone.status_code == 410
    assert api.get(f"{api.uploads_path}/{created['uuid']}", token=token).status_code == 410


def test_show_resigns_when_configured(tmp_path: Any) -> None:
    with Sandbox(resign_on_show=True) as sb:
        demo = sb.seed_demo()
        client = Api(sb, demo, sb.issue_token(demo.user_id))
        try:
            created = client.create_upload().json()
            sb.advance_clock(3000)
            shown = client.get(f"{client.uploads_path}/{created['uuid']}").json()
            assert shown["fields"]["policy"] != created["fields"]["policy"]
            sb.advance_clock(1000)  # past the first hour, within the second
            assert client.post_form(shown, b"late but fine").status_code == 204
        finally:
            client.close()


def test_show_keeps_original_links_by_default(api: Api, sandbox: Sandbox) -> None:
    created = api.create_upload().json()
    sandbox.advance_clock(3000)
    shown = api.get(f"{api.uploads_path}/{created['uuid']}").json()
    assert shown["fields"] == created["fields"]


def test_resign_on_show_can_be_switched_while_running(api: Api, sandbox: Sandbox,
                                                      two_parts: list[bytes]) -> None:
    created = api.create_segmented(two_parts)
    sandbox.resign_on_show = True
    sandbox.advance_clock(3700)
    shown = api.get(f"{api.uploads_path}/{created['uuid']}").json()
    assert shown["segments"][1]["url"] != created["segments"][1]["url"]
    assert api.put_part(shown["segments"][1], b"Z").status_code == 200
    assert api.put_part(created["segments"][0], two_parts[0]).status_code == 403


@pytest.mark.parametrize("missing", ["size", "sha256", "md5"])
def test_v11_complete_needs_size_sha256_and_declared_md5(api: Api, two_parts: list[bytes],
                                                       missing: str) -> None:
    """Seed 000's v1.1 PATCH example sends size, sha256, md5 and etag per segment; the v1.1
    spec marks size and sha256 required. An ETag alone, or an item without one of the
    declared values, is refused."""
    created = api.create_segmented(two_parts)
    segments = created["segments"]
    etags = [api.put_part(s, d).headers["ETag"].strip('"')
             for s, d in zip(segments, two_parts, strict=True)]
    uuid = created["uuid"]
    assert api.complete(uuid, etags).status_code == 422  # etag only, as the v1.0 tutorial
    partial = [{k: v for k, v in s.items() if k != missing} for s in segments]
    refused = api.complete(uuid, etags, partial)
    assert refused.status_code == 422
    assert missing in refused.json()["errors"]["segments"][0]
    wrong = [dict(s, size=s["size"] + 1) if missing == "size" else s for s in segments]
    if missing == "size":
        assert api.complete(uuid, etags, wrong).status_code == 422
    assert api.complete(uuid, etags, segments).status_code == 200


def test_v10_complete_takes_etags_alone(api: Api, two_parts: list[bytes]) -> None:
    """The v1.0 tutorial (seed 001) completes with ``{"etag"}`` items only."""
    created = api.create_segmented(two_parts)
    etags = [api.put_part(s, d).headers["ETag"].strip('"')
             for s, d in zip(created["segments"], two_parts, strict=True)]
    path = f"/rest/v1.0/projects/{api.project_id}/uploads/{created['uuid']}"
    answer = api.patch(path, json={"segments": [{"etag": e} for e in etags]})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("value", ["pdf", "application/", "text/plain; charset=x", 7, ""])
def test_response_content_type_must_be_a_media_type(api: Api, value: Any) -> None:
    answer = api.create_upload({"response_filename": "a.pdf", "response_content_type": value})
    assert answer.status_code == 422
    assert "response_content_type" in answer.json()["errors"]
    assert api.create_upload({"response_filename": "a.pdf",
                              "response_content_type": "application/pdf"}).status_code == 201


def test_a_repeated_complete_answers_gone(api: Api, two_parts: list[bytes]) -> None:
    """Completing an upload that is already complete (a PATCH repeated after its answer was
    lost) answers 410: the client must ask Show Upload, which says complete."""
    created = api.create_segmented(two_parts)
    etags = [api.put_part(s, d).headers["ETag"].strip('"')
             for s, d in zip(created["segments"], two_parts, strict=True)]
    uuid = created["uuid"]
    assert api.complete(uuid, etags, created["segments"]).status_code == 200
    again = api.complete(uuid, etags, created["segments"])
    assert again.status_code == 410
    assert api.get(f"{api.uploads_path}/{uuid}").json()["status"] == "complete"
