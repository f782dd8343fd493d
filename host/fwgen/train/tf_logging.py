"""TensorFlow's, CUDA's and LiteRT's log noise, kept out of fwgen's output in one place.

TensorFlow writes C++ log lines to stderr (oneDNN and CUDA probing at import, "failed call to
cuInit" on a machine without a GPU, absl's "All log messages before absl::InitializeLog()"),
Python warnings and absl-logging lines; LiteRT announces its XNNPACK delegate. None of it is
about the user's model. The verbs that may load TensorFlow call `quiet_tensorflow(verbose)`
first: without -v it sets TF_CPP_MIN_LOG_LEVEL=3 (unless the user set it) and ignores
TensorFlow's, Keras' and absl's UserWarnings and DeprecationWarnings; then `load_tensorflow()`,
where the train functions first need TensorFlow, imports it and Keras with the process's stderr
captured (absl writes some lines before it reads TF_CPP_MIN_LOG_LEVEL; they are replayed if the
import fails) and turns absl and the ``tensorflow`` logger down to errors, and
`native_stderr_quiet()` wraps the converter and the creation of LiteRT interpreters. With -v
everything stays as TensorFlow prints it.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings
from typing import Iterator

LOG = logging.getLogger(__name__)

#: TensorFlow's C++ log level when fwgen is not verbose: 3 hides INFO, WARNING and ERROR.
QUIET_LEVEL = "3"
_state = {"quiet": False, "defaulted": False}


def set_default_level() -> None:
    """What importing fwgen.train does: INFO and WARNING chatter off unless the user chose."""
    if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
        _state["defaulted"] = True


@contextlib.contextmanager
def _captured_stderr() -> Iterator[None]:
    """Send file descriptor 2 (C++ and Python stderr alike) to a temporary file; replay it on
    an exception."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            sys.stderr.flush()
            os.dup2(saved, 2)
            sink.seek(0)
            os.write(2, sink.read())
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def quiet_tensorflow(verbose: int = 0) -> None:
    """Before TensorFlow is first imported: silence it unless `verbose` (see the module
    docstring). Imports nothing: `load_tensorflow` does, where TensorFlow is first needed."""
    _state["quiet"] = not verbose
    if verbose:
        return
    if "TF_CPP_MIN_LOG_LEVEL" not in os.environ or _state["defaulted"]:  # not the user's
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = QUIET_LEVEL
    for module in ("tensorflow", "keras", "absl"):
        warnings.filterwarnings("ignore", category=UserWarning, module=rf"{module}(\.|$)")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=rf"{module}(\.|$)")


def load_tensorflow() -> None:
    """Import TensorFlow and Keras (the train functions call this where they first need them):
    with the process's stderr captured and absl and the ``tensorflow`` logger turned down to
    errors when `quiet_tensorflow` made fwgen quiet; a plain import otherwise."""
    if not _state["quiet"] or "tensorflow" in sys.modules:
        import tensorflow  # noqa: F401, PLC0415
        return
    with _captured_stderr():
        import tensorflow  # noqa: F401, PLC0415
        import keras  # noqa: F401, PLC0415
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with contextlib.suppress(ImportError):
        from absl import logging as absl_logging  # noqa: PLC0415

        absl_logging.set_verbosity(absl_logging.ERROR)


@contextlib.contextmanager
def native_stderr_quiet() -> Iterator[None]:
    """Around the TFLite converter and a LiteRT interpreter's creation: their C++ lines
    ("fully_quantize: ...", the XNNPACK delegate's INFO) stay out when `quiet_tensorflow` made
    fwgen quiet (and come back if it raises); a no-op otherwise."""
    if not _state["quiet"]:
        yield
        return
    with _captured_stderr():
        yield
