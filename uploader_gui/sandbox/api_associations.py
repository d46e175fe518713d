"""API routes that turn a finished upload into a Procore record: a file, a version, a photo."""

from __future__ import annotations

from typing import Any

from . import documents
from .api_call import Call
from .api_uploads import find_owned_upload
from .http_common import ApiError
from .records import Image, Upload


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, {"errors": {field: [message]}})


def _field(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


def _usable_upload(call: Call, uuid: str | None, field: str) -> Upload:
    """The caller's finished, not yet used upload, in the request's company."""
    if not uuid:
        raise _invalid(field, "can't be blank")
    upload = find_owned_upload(call, uuid.strip())
    if upload.status != "complete":
        raise _invalid(field, "the upload is not complete: send every byte to storage first")
    if upload.associated:
        raise _invalid(field, "has already been used")
    return upload


def _scope(call: Call) -> tuple[int | None, int]:
    if "cid" in call.match:
        return None, call.company(call.path_int("cid"))
    project = call.project(call.int_param("project_id"))
    return project.id, project.company_id


def create_file(call: Call) -> Any:
    project_id, company_id = _scope(call)
    form = call.form_body()
    state = call.state
    with state.lock:
        upload = _usable_upload(call, _field(form, "file[upload_uuid]"), "upload_uuid")
        name = _field(form, "file[name]")
        if name is None:
            name = upload.response_filename or ""
        try:
            documents.check_name(name)
        except documents.InvalidName as exc:
            raise _invalid(exc.field, exc.message) from None
        parent_raw = _field(form, "file[parent_id]")
        if parent_raw in (None, ""):
            folder = state.root_folder(project_id=project_id, company_id=company_id)
        else:
            try:
                folder = call.folder(int(parent_raw or ""), project_id, company_id)
            except ValueError:
                raise _invalid("parent_id", "is invalid") from None
        documents.check_writable(folder)
        unique = (_field(form, "file[unique_name]") or "").lower() == "true"
        if documents.name_taken(state, folder.id, name, folders=False):
            if not unique:
                raise _invalid("name", "has already been taken")
            name = documents.unique_file_name(state, folder.id, name)
        record = documents.add_file(state, folder, name, upload.uuid, upload.size or 0,
                                    state.object_path(upload.uuid),
                                    _field(form, "file[description]") or "",
                                    created_by=call.user.id)
        record.versions[-1].sha256 = upload.sha256
        upload.associated = True
        return 201, documents.file_json(state, record)


def create_file_version(call: Call) -> Any:
    project_id, company_id = _scope(call)
    file_id = call.int_param("file_id")
    form = call.form_body()
    state = call.state
    with state.lock:
        record = state.files.get(file_id)
        if record is None or record.project_id != project_id or record.company_id != company_id:
            raise ApiError(404, {"errors": "File not found"})
        documents.check_writable(state.folders[record.folder_id])
        holder = state.users.get(record.checked_out_by) if record.checked_out_by else None
        if holder is not None and holder.id != call.user.id:
            raise ApiError(403, {"errors": f"This file is checked out by {holder.name}; only "
                                           "they can add a version until it is checked in"})
        upload = _usable_upload(call, _field(form, "file_version[upload_uuid]"), "upload_uuid")
        version = documents.add_version(state, record, upload.uuid, upload.size or 0,
                                        state.object_path(upload.uuid),
                                        _field(form, "file_version[notes]") or "",
                                        created_by=call.user.id)
        version.sha256 = upload.sha256
        upload.associated = True
        return 201, documents.version_json(state, record, version)


#: Create Image's ``image`` attributes (the reference's body schema).
IMAGE_ATTRIBUTES = frozenset({"image_category_id", "description", "private", "log_date",
                              "location_id", "trade_ids", "latitude", "longitude", "starred",
                              "name", "upload_id", "data"})


def create_image(call: Call) -> Any:
    """Both documented shapes: ``{upload_uuid, image_name, image: {...}}`` and
    ``{upload: {uuid}, image: {image_category_id, name}}``.

    The Create Image reference: ``image`` is required and "at least one attribute is required
    even when an 'upload_uuid' key is provided", and ``image_name`` is required. No album
    (no ``image_category_id``) puts the photo in no album.
    """
    project = call.project(call.int_param("project_id"))
    body = call.json_body()
    image_spec = body.get("image")
    if not isinstance(image_spec, dict):
        raise ApiError(400, {"errors": "param is missing or the value is empty: image"})
    if not any(key in IMAGE_ATTRIBUTES for key in image_spec):
        raise ApiError(400, {"errors": "param is missing or the value is empty: image "
                                       "(at least one attribute is required even when an "
                                       "'upload_uuid' key is provided)"})
    upload_spec = body.get("upload")
    uuid = body.get("upload_uuid")
    if uuid is None and isinstance(upload_spec, dict):
        uuid = upload_spec.get("uuid")
        name = image_spec.get("name")
    else:
        name = body.get("image_name")
        if name is None:
            raise _invalid("image_name", "can't be blank")
    album_raw = image_spec.get("image_category_id")
    state = call.state
    with state.lock:
        upload = _usable_upload(call, uuid if isinstance(uuid, str) else None, "upload_uuid")
        album_id: int | None = None
        if album_raw is not None:
            try:
                album = state.albums.get(int(album_raw))
            except (TypeError, ValueError):
                album = None
            if album is None or album.project_id != project.id:
                raise _invalid("image_category_id", "is not an album of this project")
            album_id = album.id
        if name is None:
            name = upload.response_filename or "Photo"
        if not isinstance(name, str):
            raise _invalid("image_name", "must be text")
        try:
            documents.check_name(name)
        except documents.InvalidName as exc:
            raise _invalid(exc.field, exc.message) from None
        description = image_spec.get("description") or ""
        image = Image(state.new_id(), project.id, album_id, name, upload.uuid, upload.size or 0,
                      state.object_path(upload.uuid), str(description), state.now(),
                      uploader_id=call.user.id)
        state.images[image.id] = image
        upload.associated = True
        return 201, documents.image_json(state, image)
