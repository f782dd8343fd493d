"""Training, quantization and evaluation of fwgen's zoo models.

TensorFlow is imported lazily inside the functions that need it: importing `fwgen` or
starting the CLI never loads it. When it is loaded, its C++ INFO/WARNING chatter is off unless
the user set TF_CPP_MIN_LOG_LEVEL themselves.
"""
import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
