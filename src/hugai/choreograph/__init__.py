"""Choreography: per-frame bone poses, depth order and camera, planned from what the photo shows."""

from hugai.choreograph.hug import choreograph

__all__ = ["choreograph"]
