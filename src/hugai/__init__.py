"""HugAI: a photo of two people (or two photos) becomes a short hug video, on the CPU.

>>> import hugai
>>> result = hugai.make_hug(["couple.jpg"], "hug.mp4", hugai.HugConfig(duration=5))
"""

from hugai.config import HugConfig
from hugai.errors import HugError
from hugai.pipeline import make_hug
from hugai.types import HugResult

__all__ = ["HugConfig", "HugError", "HugResult", "make_hug"]
