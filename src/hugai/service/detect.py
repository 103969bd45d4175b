"""``POST /v1/detect``: perception only, so the page can outline the people before a render.

Each photo's people are found on their own (boxes to draw, even when the set will not work), then
the engine's own ``perceive`` says whether the set makes a hug, with its error code if not.
Nothing is stored.
"""

from __future__ import annotations

import threading

from hugai.errors import HugError
from hugai.perceive.people import find_people, perceive
from hugai.pipeline import Models
from hugai.service.schemas import DetectOut, ErrorOut, PersonOut, PhotoPeopleOut
from hugai.types import Photo

_models: Models | None = None
_lock = threading.Lock()
"""One detection at a time per process: a cheap check must not starve the renders of CPU."""


def _get_models() -> Models:
    global _models
    if _models is None:
        _models = Models.default()
    return _models


def detect(photos: list[Photo]) -> DetectOut:
    with _lock:
        m = _get_models()
        found = [find_people(p, i, m.finders, m.faces, m.pose) for i, p in enumerate(photos)]
        error = None
        try:
            perceive(photos, m.finders, m.faces, m.pose, found_in=found)
        except HugError as exc:
            error = ErrorOut(code=exc.code, message=exc.message, photo=exc.photo)
    return DetectOut(
        photos=[
            PhotoPeopleOut(
                name=p.name,
                width=p.size[0],
                height=p.size[1],
                people=[
                    PersonOut(box=[round(float(v), 1) for v in person.box], frontal=person.frontal)
                    for person in people
                ],
            )
            for p, people in zip(photos, found, strict=True)
        ],
        ok=error is None,
        error=error,
    )
