"""One exception family for everything a user can get wrong, mapped once to exit codes and HTTP.

Every error names the input it is about and says what to do. The CLI maps ``exit_code``,
the web service maps ``http_status`` and the stable ``code`` string; nothing else decides.
"""

from __future__ import annotations


class HugError(Exception):
    """Base of every error HugAI reports to a user (never a traceback)."""

    code: str = "hug_error"
    exit_code: int = 1
    http_status: int = 500

    def __init__(self, message: str, *, photo: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.photo = photo
        """Which input photo (0-based) the error is about, when it is about one."""

    def __str__(self) -> str:
        return self.message


class InputError(HugError):
    """A bad argument or option (wrong number of photos, bad duration...)."""

    code = "invalid_input"
    exit_code = 2
    http_status = 400


class MissingFile(InputError):
    code = "missing_file"
    exit_code = 3
    http_status = 400


class NotAnImage(InputError):
    """Not an image, corrupt or truncated."""

    code = "not_an_image"
    exit_code = 4
    http_status = 415


class ImageTooLarge(InputError):
    code = "too_large"
    exit_code = 5
    http_status = 413


class ImageTooSmall(InputError):
    code = "too_small"
    exit_code = 6
    http_status = 422


class NoPeopleFound(InputError):
    code = "no_people_found"
    exit_code = 7
    http_status = 422


class PeopleTooSmall(InputError):
    """People were found, but too small in the frame to animate."""

    code = "people_too_small"
    exit_code = 11
    http_status = 422


class OnlyOnePerson(InputError):
    code = "only_one_person"
    exit_code = 8
    http_status = 422


class PersonFromBehind(InputError):
    code = "person_from_behind"
    exit_code = 9
    http_status = 422


class OutputNotWritable(HugError):
    code = "output_not_writable"
    exit_code = 10
    http_status = 500


class RenderError(HugError):
    """Something failed inside the engine; a bug or a missing system library, never bad input."""

    code = "render_error"
    exit_code = 20
    http_status = 500


ALL_ERRORS: tuple[type[HugError], ...] = (
    HugError,
    InputError,
    MissingFile,
    NotAnImage,
    ImageTooLarge,
    ImageTooSmall,
    NoPeopleFound,
    PeopleTooSmall,
    OnlyOnePerson,
    PersonFromBehind,
    OutputNotWritable,
    RenderError,
)
